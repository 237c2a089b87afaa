// lstmfuse MuseScore plugin: everything except the dialog (plain ES5, no arrow functions,
// no let/const, so every MuseScore 3.x/4.x JavaScript engine accepts it).
//
// Every function takes `ms`, the plugin's root object (MuseScore { id: plugin }), and uses
// only ms.curScore, ms.Element, ms.fraction, ms.removeElement, ms.cmd, ms.writeScore and
// the version properties, so the dialog (lstmfuse.qml) and the headless test wrapper run
// exactly the same code.
//
// Talks to the lstmfuse bridge (lstmfuse bridge --background) over HTTP on 127.0.0.1 with a
// synchronous XMLHttpRequest; protocol: bridge/PROTOCOL.md in the lstmfuse repository.

var PROTOCOL = 1;
var PLUGIN_VERSION = "1.0.0";
var TICKS_PER_WHOLE = 1920;  // MuseScore: 480 ticks per quarter
var START_COMMAND = "lstmfuse bridge --background";

// ---------------------------------------------------------------- small helpers
function gcd(a, b) {
    a = Math.abs(a); b = Math.abs(b);
    while (b) { var t = b; b = a % b; a = t; }
    return a;
}

function ticksToFrac(ticks) {
    var g = gcd(ticks, TICKS_PER_WHOLE) || 1;
    return (ticks / g) + "/" + (TICKS_PER_WHOLE / g);
}

function parseFrac(s) {
    var parts = String(s).split("/");
    var n = parseInt(parts[0], 10);
    var d = parts.length > 1 ? parseInt(parts[1], 10) : 1;
    return { n: n, d: d };
}

function fracToTicks(s) {
    var f = parseFrac(s);
    return Math.round(f.n * TICKS_PER_WHOLE / f.d);
}

function version(ms) {
    return ms.mscoreMajorVersion + "." + ms.mscoreMinorVersion + "." + ms.mscoreUpdateVersion;
}

// What this MuseScore's plugin API can do (feature tests, not version numbers).
function capabilities(ms) {
    var c = ms.curScore ? ms.curScore.newCursor() : null;
    return {
        addRest: !!c && typeof c.addRest === "function",
        addTuplet: !!c && typeof c.addTuplet === "function",
        rewindToTick: !!c && typeof c.rewindToTick === "function",
        namedCommands: ms.mscoreMajorVersion >= 4
    };
}

// One undoable command. MuseScore 4.5+ names it in the undo menu; 3.x and 4.4 take no name
// (the 4.4 build logs "Too many arguments" for one).
function startCommand(ms, score, name) {
    if (ms.mscoreMajorVersion > 4 || (ms.mscoreMajorVersion === 4 && ms.mscoreMinorVersion >= 5)) score.startCmd(name || "lstmfuse continuation");
    else score.startCmd();
}

function scoreEndTick(score) {
    var seg = score.lastSegment;
    return seg ? seg.tick : 0;
}

// Create a QML object whose type lives in different modules on different MuseScore versions
// (FileIO: "FileIO 3.0" on 3.x, "MuseScore 3.0" on 4.x; Settings: Qt.labs.settings on 3.x).
function createObject(parent, typeName, body, imports) {
    for (var i = 0; i < imports.length; i++) {
        try {
            return Qt.createQmlObject("import QtQuick 2.0\n" + imports[i] + "\n" + typeName + " { " + (body || "") + " }", parent, "lstmfuse-dynamic");
        } catch (e) { /* try the next module */ }
    }
    return null;
}

function makeFileIO(parent) {
    return createObject(parent, "FileIO", "", ["import FileIO 3.0", "import MuseScore 3.0"]);
}

// ---------------------------------------------------------------- proving the score unchanged
// A text fingerprint of everything a user can change with notes: per segment (every type:
// clefs, key and time signatures, barlines, chords, rests) and per track, the element type,
// its length, each note's pitch and both spellings, lyrics, and the segment's annotations
// (staff text, dynamics, tempo, chord symbols) with their text; plus the bar count. Two equal
// snapshots mean the music is the same; Next variant replaces a written variant only when
// the score's snapshot is exactly the one taken right after that write.
function snapshot(ms) {
    var score = ms.curScore;
    if (!score) return "";
    var E = ms.Element;
    var out = ["m" + score.nmeasures + "/t" + score.ntracks];
    var seg = score.firstSegment();
    var tracks = score.ntracks;
    while (seg) {
        var row = seg.tick + ":" + seg.segmentType;
        for (var t = 0; t < tracks; t++) {
            var el = seg.elementAt(t);
            if (!el) continue;
            row += "|" + t + "," + el.type;
            if (el.type === E.BAR_LINE) row += ",b" + el.barlineType;
            if (el.type === E.CHORD || el.type === E.REST) {
                var d = el.duration;
                if (d) row += "," + d.numerator + "/" + d.denominator;
            }
            if (el.type === E.CHORD) {
                var notes = el.notes;
                for (var k = 0; k < notes.length; k++) row += ",n" + notes[k].pitch + "." + notes[k].tpc1 + "." + notes[k].tpc2;
                var ly = el.lyrics;
                for (var l = 0; ly && l < ly.length; l++) row += ",l" + ly[l].text;
            }
        }
        var ann = seg.annotations;
        for (var a = 0; ann && a < ann.length; a++) row += "|a" + ann[a].type + "," + ann[a].track + "," + (ann[a].text || "");
        out.push(row);
        seg = seg.next;
    }
    return out.join("\n");
}

// ---------------------------------------------------------------- the bridge
function stateFolder(io) {
    return io.homePath() + "/.local/state/lstmfuse";
}

function readText(io, path) {
    io.source = path;
    if (!io.exists()) return null;
    return io.read();
}

// Where the running bridge is: {port, token} or {error}.
function connection(io, folder) {
    folder = folder || stateFolder(io);
    var info = readText(io, folder + "/bridge.json");
    var token = readText(io, folder + "/bridge-token");
    if (!info || !token) return { error: "not_running", folder: folder };
    var port;
    try { port = JSON.parse(info).port; } catch (e) { return { error: "not_running", folder: folder }; }
    return { port: port, token: String(token).replace(/\s+$/, ""), folder: folder };
}

// How to start the bridge: the absolute command `lstmfuse plugin install` wrote beside the
// plugin (lstmfuse-bridge.json), since a MuseScore started from the desktop has no
// virtualenv on its PATH. `url`: Qt.resolvedUrl("lstmfuse-bridge.json") from the dialog.
function bridgeCommand(io, url) {
    var fallback = { program: "lstmfuse", args: ["bridge", "--background"], command: START_COMMAND, recorded: false };
    if (!io || !url) return fallback;
    var path = decodeURIComponent(String(url).replace(/^file:\/\/\/([A-Za-z]:)/, "$1").replace(/^file:\/\//, ""));
    var text = readText(io, path);
    if (!text) return fallback;
    try {
        var c = JSON.parse(text);
        if (c.program && c.args) return { program: c.program, args: c.args, command: c.command || (c.program + " " + c.args.join(" ")), recorded: true };
    } catch (e) { }
    return fallback;
}

function notRunningMessage() {
    return "The lstmfuse bridge is not running. Start it in a terminal with:  " + START_COMMAND +
        "  (or press Start bridge).";
}

// One synchronous request. Returns {ok, status, body} or {ok: false, error, status}.
function request(conn, method, path, payload) {
    if (conn.error) return { ok: false, status: 0, error: notRunningMessage() };
    var xhr = new XMLHttpRequest();
    try {
        xhr.open(method, "http://127.0.0.1:" + conn.port + path, false);
        xhr.setRequestHeader("X-Lstmfuse-Token", conn.token);
        if (payload !== undefined) xhr.setRequestHeader("Content-Type", "application/json");
        xhr.send(payload === undefined ? null : JSON.stringify(payload));
    } catch (e) {
        return { ok: false, status: 0, error: notRunningMessage() };
    }
    if (xhr.status === 0) return { ok: false, status: 0, error: notRunningMessage() };
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e2) { body = null; }
    if (xhr.status !== 200 || !body || body.ok !== true) {
        var err = body && body.error ? body.error : null;
        return { ok: false, status: xhr.status, error: userWords(err, xhr.status), body: body };
    }
    return { ok: true, status: 200, body: body };
}

// A refusal from the bridge in the user's words, with what to do.
var ADVICE = {
    unauthorized: "The bridge did not accept this dialog's key (it was restarted with a new one): close the dialog and open it again.",
    busy: "The bridge is busy with other requests: try again in a moment.",
    timeout: "That took too long: ask for fewer bars or variants.",
    internal: "The bridge hit an internal error (details in ~/.local/state/lstmfuse/bridge.log): try again, or another seed.",
    bad_host: "The plugin reached something that is not the lstmfuse bridge: restart it with  lstmfuse bridge --background."
};

function userWords(err, status) {
    if (!err) return "The bridge answered HTTP " + status + " without a reason: restart it with  lstmfuse bridge --stop  then Start bridge.";
    if (ADVICE[err.code]) return ADVICE[err.code];
    var text = err.message.charAt(0).toUpperCase() + err.message.slice(1);
    if (err.code === "invalid_field" && err.field) text += " (" + err.field.replace(/^options\./, "").replace(/^selection\./, "selection: ") + ")";
    return text + (/[.!?)]$/.test(text) ? "" : ".");
}

// Start the bridge with MuseScore's QProcess (lstmfuse bridge --background waits until the
// models are loaded and the server answers, then exits). `cmd`: a string, or
// {program, args, command} from bridgeCommand(). Returns {ok, message}.
function startBridge(ms, cmd) {
    var proc = createObject(ms, "QProcess", "", ["import MuseScore 3.0"]);
    if (!cmd) cmd = START_COMMAND;
    var command = typeof cmd === "string" ? cmd : cmd.command;
    if (!proc) return { ok: false, message: "This MuseScore cannot start programs: run  " + command + "  in a terminal." };
    if (typeof cmd !== "string" && typeof proc.startWithArgs === "function") proc.startWithArgs(cmd.program, cmd.args);  // MuseScore 4.3+
    else if (typeof cmd !== "string") proc.start(quoteArg(cmd.program) + " " + cmd.args.map(quoteArg).join(" "));
    else proc.start(command);
    var finished = proc.waitForFinished(120000);
    var out = finished ? String(proc.readAllStandardOutput()).replace(/\s+$/, "") : "";
    if (!finished) return { ok: false, message: "The bridge did not start within 120 s. Run  " + command + "  in a terminal to see why." };
    if (out.indexOf("bridge: running") < 0)
        return { ok: false, message: "Could not start the bridge" + (out ? " (" + out + ")" : "") + ". Run  " + command + "  in a terminal to see why." };
    return { ok: true, message: out };
}

function quoteArg(a) {
    return /[\s"]/.test(a) ? "\"" + String(a).replace(/"/g, "\\\"") + "\"" : String(a);
}

// ---------------------------------------------------------------- reading the passage
function measureNumber(score, measure) {
    var n = 1;
    for (var m = score.firstMeasure; m && measureStart(m) < measureStart(measure); m = m.nextMeasure) n++;
    return n;
}

function measureStart(measure) {
    return measure.firstSegment.tick;
}

function meterOf(measure) {
    var n = measure.timesigNominal;
    return { num: n.numerator, den: n.denominator, ticks: n.numerator * TICKS_PER_WHOLE / n.denominator };
}

function actualTicks(measure) {
    var a = measure.timesigActual;
    return a.numerator * TICKS_PER_WHOLE / a.denominator;
}

// The phrase grid around a selection starting `barPos` into measure m0: the upbeat of the
// strain the selection lies in and the strain's full bars before the selection's first barline,
// counted in time (a bar split in two counts once), so the new phrases fall where the strain's
// 4-bar phrases do. A strain begins at the score's start (its upbeat: a first bar shorter than
// its time signature) or after a bar split in two at a repeat whose second part is followed by
// a full bar: that part is the strain's own pickup (the Irish example's second strain starts on
// an eighth after a 3/8 bar), which may differ from the first strain's.
function phraseGrid(score, m0, barPos, meter0) {
    var first = score.firstMeasure;
    var upbeat = actualTicks(first) < meterOf(first).ticks ? actualTicks(first) : 0;
    var origin = measureStart(first) + upbeat;  // the strain's first full barline
    var barline = barPos === 0 ? measureStart(m0) : (m0.nextMeasure ? measureStart(m0.nextMeasure) : measureStart(m0) + actualTicks(m0));
    var prev = first;
    for (var m = first.nextMeasure; m && measureStart(m) < barline; m = m.nextMeasure) {
        var next = m.nextMeasure;
        var nominal = meterOf(m).ticks;
        if (actualTicks(m) < nominal && actualTicks(prev) < meterOf(prev).ticks && actualTicks(prev) + actualTicks(m) === nominal
                && next && actualTicks(next) >= meterOf(next).ticks && measureStart(next) <= barline) {
            upbeat = actualTicks(m);
            origin = measureStart(next);
        }
        prev = m;
    }
    return { upbeat: upbeat, barsBefore: Math.max(0, Math.floor((barline - origin) / meter0.ticks)) };
}

// Cursor on (staff, voice) at the first chord/rest at or after `tick`.
function cursorAt(score, staff, voice, tick) {
    var c = score.newCursor();
    c.staffIdx = staff;
    c.voice = voice;
    c.rewind(0);
    while (c.segment && c.tick < tick) c.next();
    return c;
}

// The GUI selection as {staff, voice, startTick, endTick}, or null.
function selectionRange(ms) {
    var score = ms.curScore;
    if (!score) return null;
    var c = score.newCursor();
    c.rewind(1);
    if (!c.segment) return null;
    var staff = c.staffIdx;
    var startTick = c.tick;
    var voice = 0;
    var els = score.selection.elements;
    for (var i = 0; i < els.length; i++) {
        if (els[i].type === ms.Element.NOTE || els[i].type === ms.Element.CHORD || els[i].type === ms.Element.REST) {
            voice = els[i].voice; break;
        }
    }
    c.rewind(2);
    var endTick = c.segment ? c.tick : scoreEndTick(score);
    return { staff: staff, voice: voice, startTick: startTick, endTick: endTick };
}

// How far the key shown on a staff lies from the key it sounds in, in fifths (concert minus
// shown), read off a note: tpc1 is its concert spelling, tpc the one the score shows. A B-flat
// clarinet's written D (tpc 16) sounds C (tpc1 14): -2, so its written D major is concert C.
// 0 where the instrument does not transpose or the score shows concert pitch. The bridge
// works in concert pitch (the pitches MuseScore gives and takes), so the key it is sent must be
// the concert key too: a clarinet's written two sharps reached it as D major over notes in C.
function concertFifths(note) {
    if (!note || note.tpc1 === undefined || note.tpc === undefined) return 0;
    return note.tpc1 - note.tpc;
}

// The concert-minus-shown fifths of a staff: from the first note of ``items``, else the staff's
// first note anywhere (an empty selection), else 0.
function staffTransposition(ms, score, staff, items) {
    var E = ms.Element;
    for (var i = 0; i < items.length; i++) {
        if (items[i].el && items[i].el.type === E.CHORD) return concertFifths(items[i].el.notes[0]);
    }
    for (var v = 0; v < 4; v++) {
        var c = score.newCursor();
        c.staffIdx = staff;
        c.voice = v;
        c.rewind(0);
        while (c.segment) {
            if (c.element && c.element.type === E.CHORD) return concertFifths(c.element.notes[0]);
            c.next();
        }
    }
    return 0;
}

// concert minus shown fifths of the staff the last passage was read from (readPassage), so
// that a message can name a key as the staff shows it (describe)
var lastToConcert = 0;

// "G minor", "Eb major": the key with ``fifths`` sharps (negative: flats) in ``mode``.
function keyName(fifths, mode) {
    var minor = mode === "minor";
    var names = minor ? ["Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#"]
                      : ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"];
    return names[wrapFifths(fifths) + 7] + (minor ? " minor" : " major");
}

// A key in fifths within -7..7 (a transposition can carry it past: 6 sharps and 3 more is 3 flats).
function wrapFifths(f) {
    while (f > 7) f -= 12;
    while (f < -7) f += 12;
    return f;
}

// The passage in (staff, voice) between two ticks, as the protocol's "selection".
function readPassage(ms, range) {
    var score = ms.curScore;
    var E = ms.Element;
    var c = cursorAt(score, range.staff, 0, range.startTick);
    if (!c.segment || c.tick !== range.startTick) return { error: "the selection does not start on a note or rest of staff " + (range.staff + 1) };
    var m0 = c.measure;
    var meter0 = meterOf(m0);
    var barPos = range.startTick - measureStart(m0);
    var act = actualTicks(m0);
    if (act < meter0.ticks && !m0.prevMeasure) barPos += meter0.ticks - act;  // pickup bar
    c.voice = range.voice;
    c.rewind(0);
    while (c.segment && c.tick < range.startTick) c.next();
    var items = [];
    var lastMeasure = m0;
    var key = c.segment ? c.keySignature : 0;
    var keyChanges = [{ tick: range.startTick, fifths: key }];  // the signatures in force, each from its tick
    while (c.segment && c.tick < range.endTick) {
        items.push({ tick: c.tick, el: c.element });
        lastMeasure = c.measure;
        if (c.keySignature !== key) keyChanges.push({ tick: c.tick, fifths: c.keySignature });
        key = c.keySignature;
        c.next();
    }
    var events = [];
    var t = range.startTick;
    for (var i = 0; i < items.length; i++) {
        var it = items[i];
        if (it.tick > t) events.push({ rest: true, duration: ticksToFrac(it.tick - t) });  // a gap in voices 2-4
        var end = i + 1 < items.length ? items[i + 1].tick : range.endTick;
        if (it.el.actualDuration !== undefined && it.el.actualDuration) {  // 3.5+: exact even with gaps
            end = Math.min(end, it.tick + it.el.actualDuration.ticks);
        }
        var ev = { duration: ticksToFrac(end - it.tick), tick: it.tick };
        if (it.el.type === E.CHORD) {
            var notes = it.el.notes;
            var top = notes[0];
            for (var k = 1; k < notes.length; k++) if (notes[k].pitch > top.pitch) top = notes[k];
            ev.rest = false;
            ev.pitch = top.pitch;
            ev.tpc = top.tpc1 !== undefined ? top.tpc1 : top.tpc;  // concert, as the pitch is
            if (top.tieForward !== undefined) ev.tie_next = !!top.tieForward;
        } else {
            ev.rest = true;
        }
        events.push(ev);
        t = end;
    }
    if (t < range.endTick && items.length) events.push({ rest: true, duration: ticksToFrac(range.endTick - t) });
    var meter = meterOf(lastMeasure);
    // Where the selection ends in its bar as the score has it (0 at a barline or the score end).
    var endBarPos = 0;
    var ce = cursorAt(score, range.staff, 0, range.endTick);
    if (ce.segment && ce.tick === range.endTick) endBarPos = range.endTick - measureStart(ce.measure);
    else if (ce.segment || range.endTick < scoreEndTick(score)) endBarPos = (range.endTick - measureStart(lastMeasure)) % meter.ticks;
    var barlines = barlinesIn(m0, range.endTick);
    var grid = phraseGrid(score, m0, barPos % meter0.ticks, meter0);
    var toConcert = staffTransposition(ms, score, range.staff, items);
    lastToConcert = toConcert;
    if (toConcert) {
        key = wrapFifths(key + toConcert);
        for (var j = 0; j < keyChanges.length; j++) keyChanges[j].fifths = wrapFifths(keyChanges[j].fifths + toConcert);
    }
    return {
        staff: range.staff,
        voice: range.voice,
        start_tick: range.startTick,
        bar_pos: ticksToFrac(barPos % meter0.ticks),
        end_bar_pos: ticksToFrac(endBarPos % meter.ticks),
        bars_before: grid.barsBefore,
        upbeat: ticksToFrac(grid.upbeat),
        meter: meter.num + "/" + meter.den,
        first_bar: measureNumber(score, m0),
        key: keyChanges.length > 1 ? { fifths: key, mode: null, changes: keyChanges } : { fifths: key, mode: null },
        barlines: barlines,
        events: events
    };
}

// The barlines after measure m0 up to `endTick`, each with where its bar's first note stands in
// a bar of the meter: 0 for a full bar, an overfull one or a short one that ends early (a
// strain's last bar); the length of the bar before for a short bar that completes a short one
// (the next strain's pickup). The bridge counts every note from the barline before it, so such
// bars inside a selection leave the notes on their beats (without them it counted from the
// selection's end, and every note before such a bar was off its beat).
function barlinesIn(m0, endTick) {
    var out = [];
    var prev = m0;
    for (var m = m0.nextMeasure; m && measureStart(m) < endTick; m = m.nextMeasure) {
        var full = meterOf(m).ticks;
        var prevShort = actualTicks(prev) < meterOf(prev).ticks;
        var completes = prevShort && prev.prevMeasure && actualTicks(m) < full && actualTicks(prev) + actualTicks(m) <= full;
        out.push({ tick: measureStart(m), bar_pos: ticksToFrac(completes ? actualTicks(prev) : 0) });
        prev = m;
    }
    return out;
}

function buildRequest(ms, selection, options) {
    var caps = capabilities(ms);
    return {
        protocol: PROTOCOL,
        client: { name: "lstmfuse-musescore", version: PLUGIN_VERSION, host: "MuseScore " + version(ms), tuplets: caps.addTuplet },
        selection: selection,
        options: options
    };
}

// ---------------------------------------------------------------- writing the answer
// Checks that need no edit: the bars to write are empty in this staff/voice and have the meter.
function checkTarget(ms, range, selection, variant) {
    var score = ms.curScore;
    var end = Math.min(variant.end_tick, scoreEndTick(score));
    var c = cursorAt(score, range.staff, range.voice, variant.start_tick);
    while (c.segment && c.tick < end) {
        if (c.element && c.element.type === ms.Element.CHORD)
            return "the bars after the selection already hold notes in staff " + (range.staff + 1) + ", voice " + (range.voice + 1) +
                   " (bar " + (c.measure ? measureNumber(score, c.measure) : "?") + "): lstmfuse writes only into empty bars. " +
                   "Select a passage that ends before empty bars or at the end of the score, or delete those notes first";
        c.next();
    }
    var m = cursorAt(score, range.staff, 0, variant.start_tick).measure;
    while (m && measureStart(m) < end) {
        var mt = meterOf(m);
        if (mt.num + "/" + mt.den !== selection.meter)
            return "the time signature changes after the selection (" + selection.meter + " to " + mt.num + "/" + mt.den + ")";
        m = m.nextMeasure;
    }
    return null;
}

// Before asking the bridge: are the bars the continuation will fill free in this staff and
// voice? They run from the selection's end to the end of its bar plus `bars` whole bars.
// Returns null or the reason, in the user's words.
function checkFree(ms, range, selection, bars) {
    var meter = selection.meter.split("/");
    var barTicks = parseInt(meter[0], 10) * TICKS_PER_WHOLE / parseInt(meter[1], 10);
    var endPos = fracToTicks(selection.end_bar_pos);
    var end = range.endTick + (endPos > 0 ? barTicks - endPos : 0) + bars * barTicks;
    return checkTarget(ms, range, selection, { start_tick: range.endTick, end_tick: end });
}

// Before appending bars: the last bar's explicit final (or double) barline becomes a plain one,
// which MuseScore draws as the final barline wherever the score then ends -- so it does not stay
// in the middle of the music. Repeat barlines stay. Same undo step as the write.
var BARLINE_NORMAL = 1, BARLINE_DOUBLE = 2, BARLINE_END = 0x20;  // Ms::BarLineType
function moveFinalBarline(ms, oldLast) {
    if (!oldLast) return;
    var a = oldLast.lastSegment;
    if (!a) return;
    for (var staff = 0; staff < ms.curScore.nstaves; staff++) {
        var from = a.elementAt(staff * 4);
        if (!from || from.type !== ms.Element.BAR_LINE) continue;
        var t = Number(from.barlineType);  // an enum in a QVariant on 3.2 (String() gives "QVariant(...)")
        if (t !== BARLINE_END && t !== BARLINE_DOUBLE) continue;
        from.barlineType = BARLINE_NORMAL;
        // The new last bar needs nothing: MuseScore draws a plain last barline as the final one.
    }
}

function setSpelling(note, tpc) {
    if (tpc === undefined || tpc === null) return;
    if (note.tpc1 === note.tpc2) { note.tpc1 = tpc; note.tpc2 = tpc; }
    else { var shift = note.tpc2 - note.tpc1; note.tpc1 = tpc; note.tpc2 = tpc + shift; }
}

// Where the written notes end: the bridge's end_tick (where they stop sounding). The last op's
// tick plus its value overshoots inside a tuplet (a triplet half is written as a half, 960
// ticks, and sounds 640), and MuseScore 4 got a bar of rest appended after the continuation.
function writtenEnd(variant) {
    if (variant.end_tick !== undefined && variant.end_tick !== null) return variant.end_tick;
    var last = variant.write[variant.write.length - 1];
    return last.tick + fracToTicks(last.value);
}

// Write one variant of the bridge's answer as ONE undoable command. Returns null or an error.
function writeVariant(ms, range, selection, variant, inCommand) {
    var score = ms.curScore;
    var problem = range.original !== undefined ? checkGap(ms, range) : checkTarget(ms, range, selection, variant);
    if (problem) return problem;
    var caps = capabilities(ms);
    var ops = variant.write;
    if (!ops.length) return "the bridge sent nothing to write";
    var endTick = writtenEnd(variant);
    if (!inCommand) startCommand(ms, score, range.original !== undefined ? "lstmfuse regenerate" : null);
    var failure = null;
    try {
        var scoreEnd = scoreEndTick(score);
        if (endTick > scoreEnd) {
            var last = score.lastMeasure;
            var barTicks = meterOf(last).ticks;
            moveFinalBarline(ms, last);  // before appending: on 4.4 after it logs "isFirstInSystem" asserts
            score.appendMeasures(Math.ceil((endTick - scoreEnd) / barTicks));
        }
        var c = cursorAt(score, range.staff, 0, variant.start_tick);
        if (!c.segment || c.tick !== variant.start_tick) throw "cannot place the cursor at tick " + variant.start_tick;
        c.voice = range.voice;
        var placeholders = {};
        var placeholderPitch = 60;
        for (var i = 0; i < ops.length; i++) {
            var op = ops[i];
            if (c.tick !== op.tick) throw "cursor at tick " + c.tick + " but the bridge expects " + op.tick;
            if (op.tuplet) {
                var tot = parseFrac(op.tuplet.total);
                c.addTuplet(ms.fraction(op.tuplet.actual, op.tuplet.normal), ms.fraction(tot.n, tot.d));
            }
            var v = parseFrac(op.value);
            c.setDuration(v.n, v.d);
            if (op.rest) {
                if (caps.addRest) c.addRest();
                else { placeholders[op.tick] = true; c.addNote(placeholderPitch); }  // 3.2: no addRest
            } else {
                c.addNote(op.pitch);
                placeholderPitch = op.pitch;
            }
        }
        // Second pass: spell the notes as the bridge did, turn placeholders into rests.
        var toRemove = [];
        var k = 0;
        var w = cursorAt(score, range.staff, range.voice, variant.start_tick);
        while (w.segment && w.tick < endTick) {
            while (k + 1 < ops.length && ops[k + 1].tick <= w.tick) k++;
            var el = w.element;
            if (el && el.type === ms.Element.CHORD) {
                if (placeholders[w.tick]) toRemove.push(el);
                else if (ops[k].tpc !== undefined) for (var n = 0; n < el.notes.length; n++) setSpelling(el.notes[n], ops[k].tpc);
            }
            w.next();
        }
        for (var r = 0; r < toRemove.length; r++) ms.removeElement(toRemove[r]);
    } catch (e) {
        failure = String(e);
    }
    if (!inCommand) score.endCmd(failure !== null);  // rollback on failure
    return failure;
}

// Write a variant and remember what the score was before and after it, so that it can later
// be replaced only while provably untouched. Returns {ok, message, written}.
function writeRecorded(ms, range, selection, variant) {
    var before = snapshot(ms);
    var err = writeVariant(ms, range, selection, variant, false);
    if (err !== null) return { ok: false, message: err };
    var end = variant.write.length ? writtenEnd(variant) : range.endTick;
    var written = { range: range, selection: selection, before: before, after: snapshot(ms),
                    passage: { staff: range.staff, voice: range.voice, startTick: range.startTick, endTick: end } };
    selectWritten(ms, written.passage);
    written.selected = selectionRange(ms);  // what the host made of it (see rememberedRange)
    written.after = snapshot(ms);
    return { ok: true, written: written };
}

// Select the passage plus what was written, so Continue again extends it (3.5+: selectRange;
// 3.2 has no selection API: the dialog remembers the range instead, see rememberedRange).
function selectWritten(ms, passage) {
    var sel = ms.curScore.selection;
    if (sel && typeof sel.selectRange === "function") {
        try { sel.selectRange(passage.startTick, passage.endTick, passage.staff, passage.staff + 1); } catch (e) { }
    }
}

// Replace the variant written last (`written` from writeRecorded) by `variant`, ONLY while the
// score holds exactly what the plugin left (snapshot equal to the one taken after the write),
// and only if one Undo then gives back exactly the score before the write (else Redo puts it
// back). So a user's own edits, undos and redos are never undone. Returns {ok, message, written}.
function replaceVariant(ms, written, variant) {
    if (snapshot(ms) !== written.after)
        return { ok: false, changed: true, message: "The score changed since that variant was written (an edit, an undo or a redo), " +
                 "so Next variant wrote nothing: it only replaces its own write while the score is exactly as it left it. " +
                 "Select the passage and press Continue for new variants." };
    ms.cmd("undo");
    if (snapshot(ms) !== written.before) {
        ms.cmd("redo");
        var back = snapshot(ms) === written.after;
        return { ok: false, changed: true, message: "The last undo step was not lstmfuse's write, so nothing was replaced" +
                 (back ? " (the score is as it was)." : ". Check Edit > Redo: the score may differ.") };
    }
    var res = writeRecorded(ms, written.range, written.selection, variant);
    if (!res.ok) {
        ms.cmd("redo");  // put the previous variant back
        res.message = "Not written: " + res.message;
    }
    return res;
}

// The range Continue works on: the selection, or the passage plus the bars written last, while
// the score is exactly as left then and the selection is none (MuseScore 3.2, which cannot
// select from a plugin) or still the one the plugin made: MuseScore 4.4's selectRange ends the
// selection at the last written bar's start when that bar ends the score, and Continue again
// was refused ("the bars after the selection already hold notes"; tests/test_gui_musescore4_saved.py).
function rememberedRange(ms, written) {
    var r = selectionRange(ms);
    if (written && snapshot(ms) === written.after && (!r || sameRange(r, written.selected))) return written.passage;
    return r;
}

function sameRange(a, b) {
    return !!a && !!b && a.staff === b.staff && a.voice === b.voice && a.startTick === b.startTick && a.endTick === b.endTick;
}

// ---------------------------------------------------------------- regenerating bars in place
// The staves the selection touches (elements carry their track: staff * 4 + voice).
function selectedStaves(ms) {
    var els = ms.curScore.selection.elements;
    var seen = {}, out = [];
    for (var i = 0; i < els.length; i++) {
        var t = els[i].track;
        if (t === undefined || t === null) continue;
        var st = Math.floor(t / 4);
        if (!seen[st]) { seen[st] = true; out.push(st); }
    }
    return out;
}

// The measure holding `tick` (the last one starting at or before it).
function measureAt(score, tick) {
    var found = null;
    for (var m = score.firstMeasure; m && measureStart(m) <= tick; m = m.nextMeasure) found = m;
    return found;
}

function measureEnd(score, m) {
    return m.nextMeasure ? measureStart(m.nextMeasure) : scoreEndTick(score);
}

function regular(m) {
    return actualTicks(m) === meterOf(m).ticks;
}

function sameMeter(a, b) {
    var x = meterOf(a), y = meterOf(b);
    return x.num === y.num && x.den === y.den;
}

var CONTEXT_BEFORE = 16, CONTEXT_AFTER = 8;  // bars sent around the gap (the engine looks 2 bars ahead)

// The selected bars (whole bars: a selection inside bars takes them whole) and the bars around
// them in the same meter: {gap: range, context: range, first, last (bar numbers)} or {error}.
function regenerateRanges(ms, range) {
    var score = ms.curScore;
    var a = measureAt(score, range.startTick);
    var b = measureAt(score, Math.max(range.startTick, range.endTick - 1));
    if (!a || !b) return { error: "select the bars to regenerate (a range in one staff)" };
    // (measures compared by tick: the plugin API hands out a new wrapper object per access)
    for (var m = a; m; m = m.nextMeasure) {
        if (!sameMeter(m, a)) return { error: "the time signature changes inside the selected bars: select bars in one meter" };
        if (!regular(m)) return { error: "bar " + measureNumber(score, m) + " is shorter or longer than its time signature (a pickup or a split bar): " +
                                  "select bars of full length" };
        if (measureStart(m) >= measureStart(b)) break;
    }
    // Context: full bars of the same meter only, so the bar grid the bridge derives is the score's.
    var before = a, after = b;
    for (var i = 0; i < CONTEXT_BEFORE && before.prevMeasure && sameMeter(before.prevMeasure, a) && regular(before.prevMeasure); i++) before = before.prevMeasure;
    for (var j = 0; j < CONTEXT_AFTER && after.nextMeasure && sameMeter(after.nextMeasure, a) && regular(after.nextMeasure); j++) after = after.nextMeasure;
    var gap = { staff: range.staff, voice: range.voice, startTick: measureStart(a), endTick: measureEnd(score, b) };
    var context = { staff: range.staff, voice: range.voice, startTick: measureStart(before), endTick: measureEnd(score, after) };
    return { gap: gap, context: context, first: measureNumber(score, a), last: measureNumber(score, b) };
}

// What the gap holds now, as the protocol's events: sent with the request, compared before writing.
function gapContent(ms, gap) {
    var p = readPassage(ms, gap);
    return p.error ? p.error : JSON.stringify(p.events);
}

// Before writing over the gap: it still holds exactly what was sent to the bridge.
function checkGap(ms, range) {
    if (gapContent(ms, range) !== range.original)
        return "the selected bars changed since they were sent to the bridge: select them and press Regenerate again";
    return null;
}

// Regenerate the selected bars of one staff: returns {ok, answer, selection, range, bars} where
// range is the gap (with `original`, its content) for writeVariant / writeRecorded.
function regenerate(ms, io, range, options, folder) {
    if (!ms.curScore) return { ok: false, message: "open a score first" };
    if (!range) return { ok: false, message: "select the bars to regenerate (a range in one staff)" };
    var staves = selectedStaves(ms);
    if (staves.length > 1) return { ok: false, status: -1, message: "Select bars of ONE staff to regenerate (the selection spans staves " +
                                    staves.map(function (x) { return x + 1; }).join(", ") + ")." };
    var r = regenerateRanges(ms, range);
    if (r.error) return { ok: false, status: -1, message: r.error };
    var selection = readPassage(ms, r.context);
    if (selection.error) return { ok: false, status: -1, message: selection.error };
    delete selection.end_bar_pos;  // full bars from a barline: the bar grid runs from bar_pos (0)
    var gap = r.gap;
    gap.original = gapContent(ms, gap);
    var conn = connection(io, folder);
    var body = buildRequest(ms, selection, options);
    body.gap = { start_tick: gap.startTick, end_tick: gap.endTick };
    var res = request(conn, "POST", "/regenerate", body);
    if (!res.ok) return { ok: false, message: res.error, status: res.status, selection: selection };
    res.body.to_concert = lastToConcert;
    return { ok: true, answer: res.body, selection: selection, range: gap, bars: r.first === r.last ? "bar " + r.first : "bars " + r.first + "-" + r.last };
}

// ---------------------------------------------------------------- one whole action
// kind: "continue" or "fuse"; options: protocol options. Returns {ok, message, answer}.
function generate(ms, io, range, kind, options, folder) {
    if (!ms.curScore) return { ok: false, message: "open a score first" };
    if (!range) return { ok: false, message: "select the passage to continue (a range of notes in one staff)" };
    var selection = readPassage(ms, range);
    if (selection.error) return { ok: false, message: selection.error };
    var busy = checkFree(ms, range, selection, options.bars);
    if (busy) return { ok: false, message: "Not written: " + busy, selection: selection, status: -1 };
    var conn = connection(io, folder);
    var res = request(conn, "POST", "/" + kind, buildRequest(ms, selection, options));
    if (!res.ok) return { ok: false, message: res.error, status: res.status, selection: selection };
    res.body.to_concert = lastToConcert;  // for describe: this staff's keys as it shows them
    return { ok: true, answer: res.body, selection: selection, range: range };
}

function describe(answer, variant) {
    var s = answer.settings;
    var what = s.auto && s.auto.said ? "auto: " + s.auto.said
             : s.auto ? "auto: " + s.genre + ", the closest style (" + Math.round((s.auto.posterior[s.genre] || 0) * 100) + "%)"
             : s.genre ? s.genre : (s.weights ? Object.keys(s.weights).map(function (g) {
        return g + " " + Math.round(s.weights[g] * 100) + "%"; }).join(", ") : "");
    // where the selection's signature does not write its notes' key, the bridge continued in the
    // notes' key (lstmfuse/generation/passage_key.py) and says so; the signature is left as it is
    // (the bridge names concert keys; a transposing staff shows another: name both)
    var key = "";
    if (s.key_of_notes) {
        var shown = answer.to_concert ? keyName(s.key_of_notes.sharps - answer.to_concert, s.key_of_notes.mode) : "";
        key = "; in " + (shown ? shown + " (" + s.key_of_notes.name + " at concert pitch)" : s.key_of_notes.name) + ", the key of the selected notes";
    } else if (s.key_change) {  // the selection changes key: continued in the key it ends in
        var now = answer.to_concert ? keyName(s.key_change.sharps - answer.to_concert, s.mode) : "";
        key = "; in " + (now ? now + " (" + s.key_change.name + " at concert pitch)" : s.key_change.name) + ", the key from bar " + s.key_change.bar;
    }
    return "wrote " + variant.events.length + " notes/rests (" + what + ", seed " + variant.seed + key + ") in " +
        answer.seconds.toFixed(2) + " s";
}

// ---------------------------------------------------------------- headless mode (tests)
// cfg: {staff, voice, startTick, endTick | selectAll, kind, options, out, report, folder, undoOut}
function runHeadless(ms, io, cfg) {
    var report = { plugin: PLUGIN_VERSION, host: version(ms), capabilities: capabilities(ms) };
    var range;
    if (cfg.selectAll) {  // the GUI path: a real selection read by selectionRange()
        ms.cmd("select-all");
        range = selectionRange(ms);
        ms.cmd("escape");
    } else {
        range = { staff: cfg.staff, voice: cfg.voice || 0, startTick: cfg.startTick, endTick: cfg.endTick };
        if (range.endTick === undefined || range.endTick === null) range.endTick = scoreEndTick(ms.curScore);
    }
    report.range = range;
    var ask = function () {
        return cfg.kind === "regenerate" ? regenerate(ms, io, range, cfg.options, cfg.folder) : generate(ms, io, range, cfg.kind, cfg.options, cfg.folder);
    };
    var g = ask();
    if (!g.ok && g.status === 0 && cfg.startBridge) {  // what the dialog's Start bridge button does
        // "recorded": the command `lstmfuse plugin install` wrote beside the plugin (cfg.commandUrl)
        var s = startBridge(ms, cfg.startBridge === "recorded" ? bridgeCommand(io, cfg.commandUrl) : (cfg.startBridge === true ? null : cfg.startBridge));
        report.started = s;
        if (s.ok) g = ask();
    }
    report.selection = g.selection || null;
    if (!g.ok) {
        report.ok = false;
        report.message = g.message;
        report.status = g.status;
    } else {
        report.answer = g.answer;
        var err = writeVariant(ms, g.range || range, g.selection, g.answer.variants[cfg.variant || 0], false);
        report.ok = err === null;
        report.message = err === null ? describe(g.answer, g.answer.variants[cfg.variant || 0]) : err;
    }
    report.written = ms.writeScore(ms.curScore, cfg.out, "mscx");
    if (cfg.undoOut && report.ok) {
        ms.cmd("undo");
        report.undoWritten = ms.writeScore(ms.curScore, cfg.undoOut, "mscx");
    }
    io.source = cfg.report;
    io.write(JSON.stringify(report));
    return report;
}
