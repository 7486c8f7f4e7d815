import ArgumentParser
import Foundation
import Store

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Copy a store atomically (e.g. from a task's local disk to a shared file system, or back).",
        discussion: """
            SQLite's WAL and vidpipe's run lock are not safe on NFS, Lustre or GPFS: a scheduled task works on a \
            store on local disk and publishes it with `vidpipe snapshot --db LOCAL --into SHARED` (a consistent \
            copy written next to SHARED, then renamed over it, so readers never see half a file). It works while a \
            run writes LOCAL. A retried task copies its published store back the same way before it resumes.
            """)

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Where the copy goes (replaced atomically).", valueName: "file"))
    var into: String

    func run() throws {
        let source = try openExistingStore(store.resolvedPath)
        let destination = URL(fileURLWithPath: into).standardizedFileURL.path
        guard destination != source.path else {
            printError("error: --into names the store itself (\(destination))")
            throw ExitCode(1)
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isFolder), isFolder.boolValue {
            printError("error: --into \(destination) is a folder; give the file the copy should be, e.g. \(destination)/store.sqlite")
            throw ExitCode(1)
        }
        let started = Date()
        do {
            try source.snapshot(into: destination)
        } catch {
            printError("error: cannot write the snapshot \(destination): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? NSNumber)?.int64Value ?? 0
        printError(String(format: "vidpipe: %@ → %@ (%.1f MB) in %.1f s", source.path, destination, Double(size) / 1e6,
                          Date().timeIntervalSince(started)))
    }
}
