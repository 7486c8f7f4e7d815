/// The viewer's one style sheet and one script, served from memory (no build step, no CDN: the
/// pages work offline).
enum StaticAssets {
    static let css = """
        :root { color-scheme: light dark; --fg: #1b1f24; --muted: #5c6670; --line: #d0d7de; --accent: #0b63c5; --bad: #b42318; --ok: #1a7f37; --hl: #fff3b0; }
        @media (prefers-color-scheme: dark) { :root { --fg: #e6e6e6; --muted: #9aa4ad; --line: #30363d; --accent: #58a6ff; --bad: #f85149; --ok: #3fb950; --hl: #5a4a00; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif; color: var(--fg); }
        a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
        header.top { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; font-size: 1.1rem; }
        form.search { display: flex; gap: .4rem; flex: 1; max-width: 40rem; }
        form.search input { flex: 1; padding: .35rem .5rem; font: inherit; }
        main { padding: 1rem; max-width: 90rem; margin: 0 auto; }
        .counts { display: flex; gap: 1.2rem; flex-wrap: wrap; color: var(--muted); margin-bottom: .8rem; }
        .counts b { color: var(--fg); }
        table.library { width: 100%; border-collapse: collapse; }
        table.library th, table.library td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
        table.library img { width: 96px; height: 54px; object-fit: cover; background: #000; display: block; }
        .thumb-missing { width: 96px; height: 54px; background: var(--line); }
        .status-failed { color: var(--bad); } .status-done { color: var(--ok); }
        .stage { display: inline-block; font-size: .78rem; padding: 0 .35rem; margin: .1rem; border-radius: .3rem; border: 1px solid var(--line); }
        .stage.failed { border-color: var(--bad); color: var(--bad); } .stage.skipped { color: var(--muted); }
        .error { color: var(--bad); font-size: .88rem; }
        .pager { display: flex; gap: 1rem; margin: 1rem 0; }
        .player { display: grid; grid-template-columns: minmax(0, 3fr) minmax(16rem, 2fr); gap: 1rem; }
        @media (max-width: 900px) { .player { grid-template-columns: 1fr; } }
        video { width: 100%; background: #000; max-height: 70vh; }
        .notice { padding: .6rem .8rem; border: 1px solid var(--bad); border-radius: .4rem; margin: .5rem 0; }
        ol.transcript { list-style: none; padding: 0; margin: 0; max-height: 70vh; overflow-y: auto; }
        ol.transcript li { padding: .25rem .4rem; cursor: pointer; border-radius: .3rem; }
        ol.transcript li.current { background: var(--hl); }
        .time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: .4rem; }
        .shots { display: flex; gap: .4rem; overflow-x: auto; padding: .5rem 0; }
        .shots a { flex: none; text-align: center; font-size: .8rem; color: var(--muted); }
        .shots img { height: 72px; display: block; background: #000; }
        section { margin: 1rem 0; }
        h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
        .tags span { display: inline-block; padding: .05rem .5rem; margin: .15rem; border: 1px solid var(--line); border-radius: 1rem; }
        .hits .hit { padding: .3rem 0; border-bottom: 1px solid var(--line); }
        .hit-frame { height: 4.5rem; vertical-align: middle; margin-right: .5rem; border-radius: .2rem; }
        .kind { font-size: .78rem; color: var(--muted); border: 1px solid var(--line); border-radius: .3rem; padding: 0 .3rem; margin-right: .4rem; }
        mark { background: var(--hl); color: inherit; }
        .muted { color: var(--muted); }
        """

    /// Seeks on clicks (transcript lines, shot thumbnails, `data-t` links), starts at `?t=`, and keeps
    /// the transcript's current line highlighted and in view while the video plays.
    static let js = """
        (function () {
          "use strict";
          function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
          ready(function () {
            var video = document.getElementById("player");
            if (!video) return;
            function seek(t) {
              if (!isFinite(t)) return;
              video.currentTime = t;
              var p = video.play(); if (p && p.catch) p.catch(function () {});
            }
            // ?t=: open at that moment and play (a search hit or a shared link points at a moment).
            var start = parseFloat(video.getAttribute("data-start"));
            if (isFinite(start) && start >= 0) {
              var go = function () { seek(start); };
              if (video.readyState >= 1) go(); else video.addEventListener("loadedmetadata", go, { once: true });
            }
            for (var i = 0; i < video.textTracks.length; i++) {
              if (video.textTracks[i].kind === "chapters") video.textTracks[i].mode = "hidden";
            }
            document.addEventListener("click", function (e) {
              var el = e.target.closest ? e.target.closest("[data-t]") : null;
              if (!el) return;
              e.preventDefault();
              seek(parseFloat(el.getAttribute("data-t")));
            });
            var lines = Array.prototype.slice.call(document.querySelectorAll("ol.transcript li[data-t]"));
            var current = null;
            video.addEventListener("timeupdate", function () {
              var t = video.currentTime, found = null;
              for (var i = 0; i < lines.length; i++) {
                var s = parseFloat(lines[i].getAttribute("data-t")), en = parseFloat(lines[i].getAttribute("data-end"));
                if (t >= s && t < en) { found = lines[i]; break; }
              }
              if (found === current) return;
              if (current) current.classList.remove("current");
              current = found;
              if (current) {
                current.classList.add("current");
                var box = current.parentElement;
                if (box && (current.offsetTop < box.scrollTop || current.offsetTop > box.scrollTop + box.clientHeight - 40)) {
                  box.scrollTop = current.offsetTop - box.clientHeight / 3;
                }
              }
            });
          });
        })();
        """
}
