import Foundation
import Testing
import TestSupport
import Yams

/// The scheduler templates in deploy/: their shell parses, their YAML parses, and the numbers that
/// must agree do (the split, the time budget, the shard count Kubernetes does not pass).
@Suite("deploy/ templates")
struct DeployTemplateTests {
    static let root = CLITests.packageRoot + "/deploy"

    @Test func slurmScriptsParseAndAgree() throws {
        for name in ["vidpipe-array.sbatch", "vidpipe-merge.sbatch", "submit.sh"] {
            try runCommand("bash", ["-n", Self.root + "/slurm/" + name])
        }
        let array = try String(contentsOfFile: Self.root + "/slurm/vidpipe-array.sbatch", encoding: .utf8)
        #expect(array.contains("#SBATCH --array=0-199%20"))
        #expect(array.contains("VIDPIPE_SHARD_COUNT=${VIDPIPE_SHARD_COUNT:-200}"))
        #expect(array.contains("#SBATCH --signal=B:TERM@300"))
        #expect(array.contains("#SBATCH --time=06:00:00") && array.contains("--max-duration 5h50m"))
        #expect(array.contains("--shard auto") && array.contains("vidpipe snapshot"))
        let submit = try String(contentsOfFile: Self.root + "/slurm/submit.sh", encoding: .utf8)
        #expect(submit.contains("--dependency=afterany:"))
    }

    @Test func kubernetesJobsParseAndAgree() throws {
        let text = try String(contentsOfFile: Self.root + "/kubernetes/vidpipe-indexed-job.yaml", encoding: .utf8)
        let job = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(job["kind"] as? String == "Job")
        let spec = try #require(job["spec"] as? [String: Any])
        #expect(spec["completionMode"] as? String == "Indexed")
        let completions = try #require(spec["completions"] as? Int)
        #expect((spec["parallelism"] as? Int ?? 0) < completions)
        #expect(spec["backoffLimitPerIndex"] != nil)
        let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let env = (container["env"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) { $0[$1["name"] as? String ?? ""] = $1["value"] as? String }
        #expect(env["VIDPIPE_SHARD_COUNT"] == String(completions))
        let script = (container["args"] as? [String])?.joined() ?? ""
        #expect(script.contains("--shard auto") && script.contains("vidpipe snapshot"))
        try script.write(toFile: FileManager.default.temporaryDirectory.appendingPathComponent("k8s-job.sh").path, atomically: true, encoding: .utf8)
        try runCommand("bash", ["-n", FileManager.default.temporaryDirectory.appendingPathComponent("k8s-job.sh").path])
        let volumes = pod["volumes"] as? [[String: Any]] ?? []
        #expect(volumes.contains { $0["name"] as? String == "work" && $0["emptyDir"] != nil })
        let merge = try #require(try Yams.load(yaml: String(contentsOfFile: Self.root + "/kubernetes/vidpipe-merge-job.yaml", encoding: .utf8)) as? [String: Any])
        #expect(merge["kind"] as? String == "Job")
    }
}
