/**
 * The inbox's only stylesheet and script, served from `/inbox/app.css` and
 * `/inbox/app.js` so the Content-Security-Policy can forbid inline code.
 * The script does three things: countdowns (`data-deadline`), relative times in the reader's
 * own time zone (`time[data-at]`) and the live
 * timeline (`data-timeline`: an EventSource on the run's event stream appends
 * new events, no page reload; a reconnect resumes after the last event it got,
 * by `Last-Event-ID`). Everything works without it except the live updates.
 */

export const CSS = `
:root { color-scheme: light dark; --red: #c0392b; --green: #1e8449; --muted: #666; --line: #8884; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; padding: 0 1rem 3rem; max-width: 60rem; margin-inline: auto; }
a { color: inherit; }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: baseline; padding: .75rem 0; border-bottom: 1px solid var(--line); }
header.top nav a { margin-right: .75rem; }
header.top .who { margin-left: auto; color: var(--muted); font-size: .9rem; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; }
h1 { font-size: 1.4rem; margin: 1rem 0 .5rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; display: block; overflow-x: auto; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
code, pre { font: 13px/1.4 ui-monospace, monospace; }
pre { overflow-x: auto; padding: .5rem; border: 1px solid var(--line); margin: 0; }
.pass { color: var(--green); } .fail, .expired, .mismatch { color: var(--red); font-weight: 600; }
.mismatch-row { outline: 2px solid var(--red); }
.badge { display: inline-block; padding: 0 .4rem; border: 1px solid currentColor; border-radius: .3rem; font-size: .85rem; }
.notice { padding: .75rem 1rem; border: 2px solid var(--line); margin: 1rem 0; }
.notice.error { border-color: var(--red); }
form.decide { border: 1px solid var(--line); padding: 1rem; margin-top: 1.5rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
textarea, input, select { font: inherit; width: 100%; max-width: 40rem; padding: .4rem; }
button { font: inherit; padding: .5rem 1.2rem; margin: .75rem .5rem 0 0; cursor: pointer; }
button:focus-visible, a:focus-visible, textarea:focus-visible { outline: 3px solid #2874a6; outline-offset: 2px; }
.diff .add { background: #2ecc7133; } .diff .del { background: #e74c3c33; } .diff .hunk { color: var(--muted); }
ol.timeline { padding-left: 1.25rem; } ol.timeline li { margin: .2rem 0; }
ol.timeline .meta { color: var(--muted); font-size: .85rem; }
section.step-log pre { white-space: pre-wrap; max-height: 40rem; overflow: auto; }
.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; }
.filters > div { flex: 1 1 12rem; }
.num { text-align: right; white-space: nowrap; }
ul.triggers { margin: 0; padding-left: 1rem; }
th .desc { font-weight: normal; color: var(--muted); font-size: .9rem; }
@media (max-width: 40rem) { body { font-size: 15px; } th, td { padding: .3rem; } }
`;

export const SCRIPT = `
"use strict";
function fmt(ms) {
  var t = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
  var p = function (n) { return String(n).padStart(2, "0"); };
  if (h > 0) return h + "h " + p(m) + "m " + p(s) + "s";
  if (m > 0) return m + "m " + p(s) + "s";
  return s + "s";
}
function tick() {
  document.querySelectorAll("[data-deadline]").forEach(function (el) {
    var left = Number(el.getAttribute("data-deadline")) - Date.now();
    el.textContent = left <= 0 ? "expired" : fmt(left) + " left";
    if (left <= 0) el.classList.add("expired");
  });
}
// Mirrors relativeTime (src/ui/format.ts); the title becomes the reader's own local time.
function ago(at) {
  var s = Math.round((Date.now() - at) / 1000), n = Math.abs(s), amount;
  if (n < 60) return "just now";
  amount = n < 3600 ? Math.round(n / 60) + " min" : n < 86400 ? Math.round(n / 3600) + " h" : Math.round(n / 86400) + " d";
  return s >= 0 ? amount + " ago" : "in " + amount;
}
function localise() {
  document.querySelectorAll("time[data-at]").forEach(function (el) {
    var at = Number(el.getAttribute("data-at"));
    el.textContent = ago(at);
    el.title = new Date(at).toLocaleString();
  });
}
tick();
localise();
setInterval(tick, 1000);
setInterval(localise, 30000);

// Mirrors timelineItem (src/ui/pages/run.ts): identical events in a row fold into one line
// with a count (src/web/timeline.ts has the key).
function iso(at) {
  return new Date(at).toISOString().replace(".000Z", "Z");
}
function eventKey(e) {
  return e.type + "|" + (e.to || "") + "|" + e.note;
}
function eventItem(e, count, firstAt) {
  var li = document.createElement("li");
  li.setAttribute("data-seq", String(e.seq));
  li.setAttribute("data-key", eventKey(e));
  li.setAttribute("data-first", String(firstAt));
  var type = document.createElement("strong");
  type.textContent = e.type;
  li.appendChild(type);
  if (e.to) li.appendChild(document.createTextNode(" → " + e.to));
  var meta = document.createElement("span");
  meta.className = "meta";
  meta.appendChild(document.createTextNode(" "));
  if (count > 1) {
    var repeat = document.createElement("span");
    repeat.className = "repeat";
    repeat.setAttribute("data-count", String(count));
    repeat.textContent = "×" + count;
    meta.appendChild(repeat);
    meta.appendChild(document.createTextNode(" " + iso(firstAt) + " – "));
  }
  meta.appendChild(document.createTextNode(iso(e.at) + (e.actor ? " · " + e.actor : "")));
  if (e.step && e.log) {
    // The step links to what it kept (wrangler's output, the setup log, the report), as on the server.
    meta.appendChild(document.createTextNode(" · "));
    var link = document.createElement("a");
    link.href = e.log;
    link.title = "what this step kept";
    link.textContent = e.step;
    meta.appendChild(link);
  }
  if (e.note) meta.appendChild(document.createTextNode(" · " + e.note));
  li.appendChild(meta);
  return li;
}
var timeline = document.querySelector("[data-timeline]");
if (timeline && typeof EventSource === "function" && timeline.getAttribute("data-final") !== "true") {
  var stateEl = document.getElementById("run-state");
  var statusEl = document.getElementById("run-status");
  var liveEl = document.getElementById("live-status");
  var source = new EventSource(timeline.getAttribute("data-stream") + "?after=" + timeline.getAttribute("data-after"));
  var showRun = function (m) {
    var run = JSON.parse(m.data);
    if (stateEl) stateEl.textContent = run.state;
    if (statusEl) statusEl.textContent = run.status;
    if ("waiting" in run) showWaiting(run.waiting);
  };
  // The "Waiting for …" line, as the page renders it (pages/run.ts): the sentence, then the countdown.
  var showWaiting = function (waiting) {
    var el = document.getElementById("waiting-for");
    if (!waiting) {
      if (el) el.remove();
      return;
    }
    if (!el) {
      el = document.createElement("p");
      el.id = "waiting-for";
      el.className = "notice";
      el.setAttribute("role", "status");
      var at = stateEl && stateEl.closest("p");
      if (at) at.after(el);
      else timeline.before(el);
    }
    el.textContent = "Waiting for " + waiting.what;
    if (waiting.until !== null) {
      var time = document.createElement("time");
      time.setAttribute("datetime", new Date(waiting.until).toISOString());
      time.setAttribute("data-deadline", String(waiting.until));
      el.appendChild(document.createTextNode(" · "));
      el.appendChild(time);
      tick();
    }
  };
  source.onmessage = function (m) {
    var e = JSON.parse(m.data);
    // The server resumes after Last-Event-ID; this only guards against showing an event twice.
    var last = timeline.lastElementChild;
    if (last && Number(last.getAttribute("data-seq")) >= e.seq) return;
    if (last && last.getAttribute("data-key") === eventKey(e)) {
      var shown = last.querySelector(".repeat");
      var count = (shown ? Number(shown.getAttribute("data-count")) : 1) + 1;
      timeline.replaceChild(eventItem(e, count, Number(last.getAttribute("data-first"))), last);
    } else timeline.appendChild(eventItem(e, 1, e.at));
  };
  source.addEventListener("state", showRun);
  source.addEventListener("end", function (m) {
    showRun(m);
    source.close();
    if (liveEl) liveEl.textContent = "The run is final.";
  });
}
`;
