// lstmfuse for MuseScore 3.x and 4.x: continue the selected passage with a genre LSTM, or
// fuse genres by weight, written in place right after the selection as ONE undoable step; or
// regenerate the selected bars of one staff in place (new bars that fit before and after).
//
// Needs the lstmfuse bridge running on this computer (lstmfuse bridge --background); the
// dialog starts it (with the command `lstmfuse plugin install` recorded) when it is not.
// Only QtQuick 2 items (no QtQuick.Controls 1, Dialogs 1 or Qt.labs.settings, which Qt 6 lacks)
// and `import MuseScore 3.0`, so the same file loads in MuseScore 3 (Qt 5) and 4 (Qt 6).
// MuseScore 4 reads title, thumbnailName and categoryCode from this file's TEXT (lines that
// begin with "//4.4 " too) before the first nested brace, so they are declared below.

import QtQuick 2.6
import QtQuick.Window 2.2
import MuseScore 3.0
import "lstmfuse-core.js" as Core
import "lstmfuse-instance.js" as Instance

MuseScore {
    id: plugin
    version: "1.1.0"
    description: "Continue the selected passage with a genre model, fuse genres by weight, or regenerate selected bars (needs the lstmfuse bridge)."
    pluginType: "dialog"
    requiresScore: true
    menuPath: "Plugins.lstmfuse"
    //4.4 title: "lstmfuse"
    //4.4 thumbnailName: "lstmfuse.png"
    //4.4 categoryCode: "composing-arranging-tools"
    // The 4.4.0 development build reads these lines wherever they are, not the "//4.4 " ones
    // (verified in its plugin list); a child object holds them, since 3.x's MuseScore type has
    // no such properties.
    QtObject {
        id: museScore4Metadata
        property string title
        property string thumbnailName
        property string categoryCode
        title: "lstmfuse"
        thumbnailName: "lstmfuse.png"
        categoryCode: "composing-arranging-tools"
    }
    width: 500
    height: 640

    property var io: null
    property var settings: null
    property var genres: []
    property var weights: ({})          // Fuse: genre -> 0..1
    property string continueGenre: "auto"  // Continue: "auto" (closest style) or a genre
    property bool fusionReady: false
    property string barsText: "4"
    property string variantsText: "1"
    property string seedText: ""
    property string formText: "auto"    // the phrase plan: auto, free or a layout like AABB
    property real temperature: 0.9
    property string status: "Select a passage (a range in one staff), then Continue or Fuse."
    property bool statusIsError: false
    property bool bridgeDown: false
    property bool busy: false
    property string badField: ""        // the field the last validation error names
    property var last: null             // {answer, kind, written}
    property int lastVariant: 0
    property var pendingKind: null      // the action to retry after Start bridge
    property var shown: null            // the previewed answer: {answer, range, selection, snap, where}
    property var pendingJob: null       // what the timer runs once the status is painted
    property bool closing: false

    // Every status change is logged (console.info reaches MuseScore 4's log file, console.log does
    // not): what the GUI tests read, and what a user can send with a bug report.
    onStatusChanged: console.info("lstmfuse-status: " + status)

    function isShowing() { var w = plugin.Window.window; return !closing && (!w || w.visible); }

    function say(text, isError) { status = text; statusIsError = !!isError; }

    function quitPlugin() {
        closing = true;
        previewWindow.hide();
        Instance.release(plugin);
        saveSettings();
        if (typeof quit === "function") quit(); else Qt.quit();  // MuseScore 4: Qt.quit() would close MuseScore itself
    }

    // Show the status first, run the blocking work after the dialog has repainted.
    property bool immediate: false     // headless tests: no event loop after onRun, run at once
    function later(fn) {
        if (immediate) { fn(); if (retryKind) { var k = retryKind; retryKind = ""; act(k); } return; }
        pendingJob = fn; busy = true; workTimer.restart();
    }
    Timer { id: workTimer; interval: 60; repeat: false
        onTriggered: {
            var fn = plugin.pendingJob; plugin.pendingJob = null;
            try { fn(); } finally { plugin.busy = false; }
            var again = plugin.retryKind; plugin.retryKind = "";
            if (again) plugin.act(again);  // the request that found the bridge down, once it runs
        } }
    property string retryKind: ""

    function saveSettings() {
        if (!settings) return;
        settings.weights = JSON.stringify(weights);
        settings.continueGenre = continueGenre;
        settings.bars = parseInt(barsText, 10) || 4;
        settings.temperature = temperature;
        settings.variants = parseInt(variantsText, 10) || 1;
        settings.seed = seedText;
        settings.form = formText;
    }

    function loadSettings() {
        // Settings: registered under MuseScore 3.0 in MuseScore 4 (Qt 6 has no Qt.labs.settings);
        // MuseScore 3.2.3 has it only in Qt.labs.settings (verified), so that import is tried at
        // run time where the first fails -- never a file-level import, which Qt 6 would reject.
        settings = Core.createObject(plugin, "Settings",
            "category: \"lstmfuse\"; property string weights: \"{}\"; property string continueGenre: \"auto\"; property int bars: 4; " +
            "property real temperature: 0.9; property int variants: 1; property string seed: \"\"; property string form: \"auto\"",
            ["import MuseScore 3.0", "import Qt.labs.settings 1.0"]);
        if (!settings) return;
        try { weights = JSON.parse(settings.weights) || {}; } catch (e) { weights = {}; }
        continueGenre = settings.continueGenre || "auto";
        barsText = String(settings.bars); temperature = settings.temperature; variantsText = String(settings.variants); seedText = settings.seed;
        formText = settings.form || "auto";
    }

    function refreshModels() {
        var res = Core.request(Core.connection(io), "GET", "/models");
        if (!res.ok) { bridgeDown = res.status === 0; say(res.error, true); return false; }
        bridgeDown = false;
        genres = res.body.genres;
        var w = {};
        for (var i = 0; i < genres.length; i++) w[genres[i]] = weights[genres[i]] !== undefined ? weights[genres[i]] : 0.5;
        weights = w;
        if (continueGenre !== "auto" && genres.indexOf(continueGenre) < 0) continueGenre = "auto";
        fusionReady = res.body.fusion;
        say(genres.length ? "Bridge ready: " + genres.length + " genre model(s)" + (res.body.fusion ? " and the fusion model." : " (no fusion model: Fuse is off).")
                          : "The bridge runs but no models are installed.", !genres.length);
        return true;
    }

    // The dialog's fields, checked before anything is sent: {options} or {error, field}.
    function options(kind) {
        var bars = Number(barsText);
        if (kind !== "regenerate" && (!/^[0-9]+$/.test(barsText) || bars < 1 || bars > 64)) return { error: "Bars to add must be a whole number from 1 to 64.", field: "bars" };
        var variants = Number(variantsText);
        if (!/^[0-9]+$/.test(variantsText) || variants < 1 || variants > 8) return { error: "Variants must be a whole number from 1 to 8.", field: "variants" };
        var o = { temperature: temperature, variants: variants };
        if (kind !== "regenerate") o.bars = bars;  // Regenerate replaces the selected bars themselves
        var form = formText.replace(/\s+/g, "");
        if (form !== "") {
            if (!/^(auto|free|([A-Z]'*){1,16})$/.test(form))
                return { error: "Form must be auto, free or a layout of capital letters like AABB or ABA'B (at most 16 phrases).", field: "form" };
            if (kind === "regenerate" && form !== "auto" && form !== "free")
                return { error: "Regenerate keeps the piece's own form: set Form to auto or free (a layout like " + form + " is for Continue).", field: "form" };
            o.form = form;
        }
        if (seedText !== "") {
            if (!/^[0-9]+$/.test(seedText) || Number(seedText) > 4294967295) return { error: "Seed must be empty (a new one each time) or a whole number from 0 to 4294967295.", field: "seed" };
            o.seed = Number(seedText);
        }
        if (kind === "fuse") {
            var w = {}; var n = 0;
            for (var g in weights) if (weights[g] > 0) { w[g] = weights[g]; n++; }
            if (n < 1) return { error: "Fuse needs at least one genre weight above 0%.", field: "weights" };
            o.weights = w;
        } else {
            o.genre = continueGenre;
        }
        return { options: o };
    }

    function where(range) {
        var part = "";
        try {
            var parts = curScore.parts;
            for (var i = 0; i < parts.length; i++)
                if (parts[i].startTrack <= range.staff * 4 && range.staff * 4 < parts[i].endTrack) part = parts[i].partName;
        } catch (e) { }
        return "staff " + (range.staff + 1) + (part ? " (" + part + ")" : "") + ", voice " + (range.voice + 1);
    }

    function act(kind) {
        if (busy) return;
        if (kind === "fuse" && !fusionReady) { say("Fuse needs the fusion model, which the bridge does not have.", true); return; }
        if (kind === "regenerate") { actRegenerate(); return; }
        var preview = kind === "preview";
        if (preview) kind = "continue";
        var v = options(kind);
        badField = v.error ? v.field : "";
        if (v.error) { say(v.error, true); return; }
        saveSettings();
        var range = Core.rememberedRange(plugin, last ? last.written : null);
        if (!range) { say("Select the passage to continue first: click its first note, Shift+click its last (one staff).", true); return; }
        var o = v.options;
        if (preview) o.preview = true;
        say((preview ? "Engraving " + o.variants + " variant(s) to preview, " : "") + (kind === "fuse" ? "Fusing " + Object.keys(o.weights).join(" + ") : "Continuing with " + (o.genre === "auto" ? "the closest genre (auto)" : o.genre)) +
            ": " + where(range) + ", " + o.bars + " bar(s)" + (o.variants > 1 ? ", " + o.variants + " variants" : "") + "...");
        later(function () { generateAndWrite(kind, range, o); });
    }

    // Regenerate: the selected bars of one staff, previewed like Preview variants (nothing is
    // written until Write N); the written variant replaces those bars in place, one undo step.
    function actRegenerate() {
        var v = options("regenerate");
        badField = v.error ? v.field : "";
        if (v.error) { say(v.error, true); return; }
        saveSettings();
        var range = Core.rememberedRange(plugin, last ? last.written : null);
        if (!range) { say("Select the bars to regenerate first: click a bar, Shift+click the last one (one staff).", true); return; }
        var o = v.options;
        o.preview = true;
        say("Regenerating the selected bars with " + (o.genre === "auto" ? "the closest genre (auto)" : o.genre) + ": " + where(range) +
            (o.variants > 1 ? ", " + o.variants + " variants" : "") + "...");
        later(function () {
            var g = Core.regenerate(plugin, io, range, o);
            if (!g.ok) {
                bridgeDown = g.status === 0;
                pendingKind = bridgeDown ? "regenerate" : null;
                say(g.message, true);
                return;
            }
            bridgeDown = false;
            showPreview(g, g.range, "Regenerated " + g.bars + ": ");
        });
    }

    function generateAndWrite(kind, range, o) {
        var g = Core.generate(plugin, io, range, kind, o);
        if (!g.ok) {
            bridgeDown = g.status === 0;
            pendingKind = bridgeDown ? kind : null;
            say(g.message + (bridgeDown ? "" : ""), true);
            return;
        }
        bridgeDown = false;
        if (o.preview) { showPreview(g, range); return; }
        var res = Core.writeRecorded(plugin, range, g.selection, g.answer.variants[0]);
        if (!res.ok) { last = null; say("Not written: " + res.message, true); return; }
        last = { answer: g.answer, kind: kind, written: res.written, where: where(range), label: "" };
        lastVariant = 0;
        sayWritten();
    }

    function sayWritten() {
        var n = last.answer.variants.length;
        say(last.label + Core.describe(last.answer, last.answer.variants[lastVariant]) + ", " + last.where +
            (n > 1 ? " (variant " + (lastVariant + 1) + " of " + n + ": Next variant replaces it)" : "") +
            (last.kind === "regenerate" ? ". Ctrl+Z (here or in the score) gives back the old bars; Write N in the preview tries another variant."
                                        : ". Ctrl+Z (here or in the score) undoes it; the written bars stay selected, so Continue extends them."), false);
    }

    // Preview, then write: all variants engraved in one picture; the user picks one.
    function showPreview(g, range, label) {
        var p = g.answer.preview || {};
        if (!p.png) { say("The variants are ready but could not be engraved (" + (p.error || "no picture") + "); nothing was written. Use Continue.", true); return; }
        shown = { answer: g.answer, range: range, selection: g.selection, snap: Core.snapshot(plugin), where: where(range), label: label || "",
                  kind: g.answer.kind || "continue" };
        previewImage.source = (p.png.charAt(0) === "/" ? "file://" : "file:///") + p.png;
        var w = plugin.Window.window;
        previewWindow.x = Math.max(0, (w ? w.x : 800) - previewWindow.width - 12);
        previewWindow.y = w ? w.y : 100;
        previewWindow.show();
        previewWindow.raise();
        say((label || "") + g.answer.variants.length + " variant(s) engraved in " + p.seconds + " s, nothing written yet: press Write N in the preview window (or keys 1-" +
            g.answer.variants.length + " there).", false);
    }

    // One line per variant under the Write buttons: what the picture does not show at a glance.
    function previewFacts() {
        if (!shown || !shown.answer.preview || !shown.answer.preview.variants) return "";
        var rows = shown.answer.preview.variants, out = [];
        for (var i = 0; i < rows.length; i++) {
            var r = rows[i];
            out.push((i + 1) + ": " + r.notes + " notes" + (r.range !== undefined ? ", range " + r.range + " semitones" : "") +
                     (r.in_key !== undefined ? ", " + Math.round(r.in_key * 100) + "% in key" : "") +
                     (r.style ? ", style closest to " + r.style.genre + " (" + Math.round(r.style.p * 100) + "%)" : ""));
        }
        return out.join("\n");
    }

    function pick(i) {
        if (busy || !shown || i >= shown.answer.variants.length) return;
        var v = shown.answer.variants[i];
        var res;
        if (last && last.answer === shown.answer) {
            if (i === lastVariant) { say("Variant " + (i + 1) + " is the one written.", false); return; }
            res = Core.replaceVariant(plugin, last.written, v);
            if (!res.ok) { if (res.changed) { last = null; shown = null; previewWindow.hide(); } say(res.message, true); return; }
        } else {
            if (Core.snapshot(plugin) !== shown.snap) {
                shown = null; previewWindow.hide();
                say("The score changed since the preview, so nothing was written: select the passage and preview again.", true);
                return;
            }
            res = Core.writeRecorded(plugin, shown.range, shown.selection, v);
            if (!res.ok) { say("Not written: " + res.message, true); return; }
        }
        last = { answer: shown.answer, kind: shown.kind, written: res.written, where: shown.where, label: shown.label };
        lastVariant = i;
        sayWritten();
    }

    function nextVariant() {
        if (busy) return;
        if (!last || last.answer.variants.length < 2) { say("Ask for 2 or more variants, then Continue: Next variant cycles through them.", true); return; }
        var next = (lastVariant + 1) % last.answer.variants.length;
        var res = Core.replaceVariant(plugin, last.written, last.answer.variants[next]);
        if (!res.ok) {
            if (res.changed) last = null;
            say(res.message, true);
            return;
        }
        last.written = res.written;
        lastVariant = next;
        sayWritten();
    }

    function undoInScore() {
        cmd("undo");
        var unchanged = last && Core.snapshot(plugin) === last.written.before;
        say(unchanged ? "Undone: the score is as it was before lstmfuse wrote. (Edit > Redo brings the variant back.)"
                      : "Undone (Edit > Undo). Next variant is off until you Continue again.", false);
    }

    function startBridge() {
        if (busy) return;
        var c = Core.bridgeCommand(io, Qt.resolvedUrl("lstmfuse-bridge.json"));
        say("Starting the bridge (loading the models, a few seconds): " + c.command + " ...");
        later(function () {
            var s = Core.startBridge(plugin, c);
            if (!s.ok) { say(s.message + (c.recorded ? "" : " (Reinstall with 'lstmfuse plugin install' so the plugin knows where lstmfuse is.)"), true); return; }
            if (!refreshModels()) return;
            var kind = pendingKind;
            pendingKind = null;
            if (kind) retryKind = kind;  // retried by the timer once this job is done
            else say("Bridge started. " + status, false);
        });
    }

    // After the user worked in the score: is the last write still replaceable?
    function recheck() {
        if (busy || !last) return;
        if (Core.snapshot(plugin) !== last.written.after && !statusIsError)
            say("The score changed since the last write: Next variant is off (it never undoes your edits). Continue works on the selection.", false);
    }

    function place() {
        var w = plugin.Window.window;
        if (!w) return;
        try {
            w.title = "lstmfuse";
            w.flags = w.flags | Qt.WindowStaysOnTopHint;  // stays reachable when the score is clicked
            w.x = Math.max(0, Screen.desktopAvailableWidth - w.width - 24);
            w.y = Math.max(0, Math.round((Screen.desktopAvailableHeight - w.height) / 3));
            w.show();
        } catch (e) { console.log("lstmfuse: cannot place the dialog: " + e); }
    }

    function raiseDialog() {
        var w = plugin.Window.window;
        if (w) { w.show(); w.raise(); w.requestActivate(); }
        say(status === "" ? "lstmfuse is open." : status, statusIsError);
    }

    onRun: {
        var other = Instance.claim(plugin);
        if (other) {  // one dialog: show the open one, close this copy
            other.raiseDialog();
            console.info("lstmfuse: already open, raised it");
            closing = true;
            // Only this copy's window: MuseScore 3 shares one QML engine between plugins, so
            // Qt.quit() would close the open dialog too.
            closeCopy.start();
            return;
        }
        io = Core.makeFileIO(plugin);
        loadSettings();
        refreshModels();
        place();
        content.forceActiveFocus();
        console.log("lstmfuse: " + status);
        console.log("lstmfuse-setup: settings=" + (settings ? "yes" : "no") + " fileio=" + (io ? "yes" : "no"));
    }

    Component.onDestruction: Instance.release(plugin)

    Timer { id: closeCopy; interval: 0
        onTriggered: { var w = plugin.Window.window; if (w) w.close(); else if (typeof quit === "function") quit(); } }

    property bool windowActive: plugin.Window.window ? plugin.Window.window.active : false
    onWindowActiveChanged: if (windowActive) recheck()

    // Keys. MuseScore 4 takes Return, Escape and Ctrl+Z as its own shortcuts unless the focused
    // item claims them in ShortcutOverride; a text field would take Ctrl+Z as its own undo.
    // (Function-form handlers: the injected `event` parameter is deprecated in Qt 6.)
    function ownsKey(event) {
        return event.key === Qt.Key_Return || event.key === Qt.Key_Enter || event.key === Qt.Key_Escape ||
               (event.key === Qt.Key_Z && (event.modifiers & Qt.ControlModifier));
    }
    function handleKey(event) {
        if (event.key === Qt.Key_Escape) { quitPlugin(); return true; }
        if (event.key === Qt.Key_Z && (event.modifiers & Qt.ControlModifier)) { undoInScore(); return true; }
        if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) { act("continue"); return true; }
        return false;
    }

    Window {
        id: previewWindow
        title: "lstmfuse preview"
        width: 620; height: 660
        visible: false
        color: "#ffffff"
        flags: Qt.Tool | Qt.WindowStaysOnTopHint
        Item {
            anchors.fill: parent
            focus: true
            Keys.onPressed: function (event) {
                var n = event.key - Qt.Key_1;
                if (n >= 0 && n <= 8) { plugin.pick(n); event.accepted = true; }
                else if (event.key === Qt.Key_Escape) { previewWindow.hide(); event.accepted = true; }
            }
            Row {
                id: pickRow
                x: 8; y: 8; spacing: 6
                Repeater {
                    model: plugin.shown ? plugin.shown.answer.variants.length : 0
                    delegate: Rectangle {
                        objectName: "write-" + (index + 1)
                        width: 70; height: 28; radius: 4
                        color: plugin.last && plugin.shown && plugin.last.answer === plugin.shown.answer && plugin.lastVariant === index ? "#2a5f9e"
                               : (wma.pressed ? "#2a5f9e" : "#3a7bc8")
                        Text { anchors.centerIn: parent; color: "white"; font.pixelSize: 13; text: "Write " + (index + 1) }
                        MouseArea { id: wma; anchors.fill: parent; onClicked: plugin.pick(index) }
                    }
                }
            }
            Text {
                id: factsText
                x: 10; y: 44; width: parent.width - 20
                font.pixelSize: 12; color: "#333"; wrapMode: Text.Wrap
                text: plugin.previewFacts()
            }
            Flickable {
                anchors.fill: parent; anchors.topMargin: factsText.y + factsText.height + 6
                contentWidth: width; contentHeight: previewImage.height
                clip: true
                Image {
                    id: previewImage
                    width: parent.width
                    fillMode: Image.PreserveAspectFit
                    asynchronous: false
                    cache: false
                }
            }
        }
    }

    FocusScope {
        id: content
        anchors.fill: parent
        focus: true
        Keys.onShortcutOverride: function (event) { event.accepted = plugin.ownsKey(event); }
        Keys.onPressed: function (event) { event.accepted = plugin.handleKey(event); }

        Rectangle { anchors.fill: parent; color: "#f4f4f4" }

        Column {
            anchors.fill: parent
            anchors.margins: 12
            spacing: 7

            Text { text: "lstmfuse: continue, fuse or regenerate the selection"; font.bold: true; font.pixelSize: 15 }

            Text { text: "Continue with (Enter):"; font.pixelSize: 12 }
            Flow {
                width: parent.width
                spacing: 6
                Repeater {
                    model: ["auto"].concat(plugin.genres)
                    delegate: Rectangle {
                        property bool chosen: plugin.continueGenre === modelData
                        width: chipText.width + 18; height: 24; radius: 12
                        color: chosen ? "#2f6fb5" : "#ffffff"
                        border.color: activeFocus ? "#e08000" : "#7a9cc4"; border.width: activeFocus ? 2 : 1
                        activeFocusOnTab: true
                        Keys.onSpacePressed: plugin.continueGenre = modelData
                        Text { id: chipText; anchors.centerIn: parent; font.pixelSize: 12; color: parent.chosen ? "white" : "#1d3d66"
                               text: modelData === "auto" ? "auto (closest style)" : modelData }
                        MouseArea { anchors.fill: parent; onClicked: plugin.continueGenre = modelData }
                    }
                }
            }

            Text { text: "Fuse weights:" + (plugin.fusionReady ? "" : " (no fusion model installed)"); font.pixelSize: 12
                   color: plugin.badField === "weights" ? "#b00000" : "#202020" }
            Item {  // room for five sliders even before the bridge answers: the layout never jumps
                width: parent.width
                height: Math.max(sliderColumn.implicitHeight, 5 * 17 + 4 * 7)
                Column {
                    id: sliderColumn
                    spacing: 7
                    Repeater {
                        model: plugin.genres
                        delegate: Row {
                            spacing: 8
                            property string genre: modelData
                            Text { width: 90; text: genre; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                            Rectangle {
                                id: track
                                width: 240; height: 16; radius: 8; color: "#dddddd"
                                anchors.verticalCenter: parent.verticalCenter
                                border.color: activeFocus ? "#e08000" : "#bbbbbb"
                                activeFocusOnTab: true
                                function nudge(d) {
                                    var w = JSON.parse(JSON.stringify(plugin.weights));
                                    w[genre] = Math.round(Math.max(0, Math.min(1, (w[genre] || 0) + d)) * 20) / 20;
                                    plugin.weights = w;
                                }
                                Keys.onLeftPressed: nudge(-0.05)
                                Keys.onRightPressed: nudge(0.05)
                                Rectangle {  // the fill: exactly the weight (0% is empty)
                                    width: track.width * (plugin.weights[genre] || 0); height: parent.height; radius: 8; color: "#4a90d9"
                                }
                                Rectangle {  // the handle
                                    width: 6; height: parent.height + 6; radius: 2; color: "#1d3d66"
                                    anchors.verticalCenter: parent.verticalCenter
                                    x: (track.width - width) * (plugin.weights[genre] || 0)
                                }
                                MouseArea {
                                    id: ma
                                    anchors.fill: parent
                                    function setFrom(x) {
                                        var w = JSON.parse(JSON.stringify(plugin.weights));
                                        w[genre] = Math.round(Math.max(0, Math.min(1, x / track.width)) * 20) / 20;
                                        plugin.weights = w;
                                    }
                                    onPressed: setFrom(ma.mouseX)
                                    onPositionChanged: setFrom(ma.mouseX)
                                }
                            }
                            Text { width: 40; text: Math.round((plugin.weights[genre] || 0) * 100) + "%"; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                        }
                    }
                }
            }

            Row {
                spacing: 10
                Repeater {
                    model: [{ key: "bars", label: "Bars to add", w: 44 }, { key: "variants", label: "Variants", w: 34 }, { key: "seed", label: "Seed", w: 96 },
                            { key: "form", label: "Form", w: 58 }]
                    delegate: Row {
                        spacing: 5
                        Text { text: modelData.label; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter
                               color: plugin.badField === modelData.key ? "#b00000" : "#202020" }
                        Rectangle {
                            width: modelData.w; height: 24; color: "white"
                            border.color: plugin.badField === modelData.key ? "#d00000" : (field.activeFocus ? "#e08000" : "#999")
                            border.width: plugin.badField === modelData.key || field.activeFocus ? 2 : 1
                            TextInput {
                                id: field
                                objectName: "field-" + modelData.key
                                anchors.fill: parent; anchors.margins: 4
                                activeFocusOnTab: true
                                selectByMouse: true
                                maximumLength: modelData.key === "seed" ? 10 : (modelData.key === "form" ? 20 : 2)
                                clip: true
                                text: modelData.key === "bars" ? plugin.barsText : (modelData.key === "variants" ? plugin.variantsText
                                      : (modelData.key === "form" ? plugin.formText : plugin.seedText))
                                onTextChanged: {
                                    if (modelData.key === "bars") plugin.barsText = text;
                                    else if (modelData.key === "variants") plugin.variantsText = text;
                                    else if (modelData.key === "form") plugin.formText = text;
                                    else plugin.seedText = text;
                                    if (plugin.badField === modelData.key) plugin.badField = "";
                                }
                                Keys.onShortcutOverride: function (event) { event.accepted = plugin.ownsKey(event); }
                                Keys.onPressed: function (event) { event.accepted = plugin.handleKey(event); }
                            }
                        }
                    }
                }
            }

            Row {
                spacing: 8
                Text { width: 90; text: "Rhythm temp."; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                Rectangle {
                    id: ttrack
                    width: 240; height: 16; radius: 8; color: "#dddddd"
                    anchors.verticalCenter: parent.verticalCenter
                    border.color: activeFocus ? "#e08000" : "#bbbbbb"
                    activeFocusOnTab: true
                    Keys.onLeftPressed: plugin.temperature = Math.max(0.1, Math.round((plugin.temperature - 0.05) * 20) / 20)
                    Keys.onRightPressed: plugin.temperature = Math.min(2.0, Math.round((plugin.temperature + 0.05) * 20) / 20)
                    Rectangle { width: ttrack.width * (plugin.temperature - 0.1) / 1.9; height: parent.height; radius: 8; color: "#d98a4a" }
                    MouseArea {
                        id: tma
                        anchors.fill: parent
                        function setFrom(x) { plugin.temperature = Math.round((0.1 + 1.9 * Math.max(0, Math.min(1, x / ttrack.width))) * 20) / 20; }
                        onPressed: setFrom(tma.mouseX)
                        onPositionChanged: setFrom(tma.mouseX)
                    }
                }
                Text { text: plugin.temperature.toFixed(2); font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
            }

            Row {
                id: buttons
                spacing: 8
                Repeater {
                    model: [{ key: "continue", label: "Continue" }, { key: "fuse", label: "Fuse" },
                            { key: "next", label: "Next variant" }, { key: "close", label: "Close" }]
                    delegate: Rectangle {
                        id: button
                        objectName: "button-" + modelData.key
                        property bool usable: modelData.key === "fuse" ? plugin.fusionReady
                                            : modelData.key === "next" ? (plugin.last !== null && plugin.last.answer.variants.length > 1) : true
                        width: modelData.key === "next" ? 112 : 92; height: 30; radius: 4
                        color: !usable ? "#c8c8c8" : (bma.pressed ? "#2a5f9e" : (modelData.key === "close" ? "#6d7f94" : "#3a7bc8"))
                        border.color: activeFocus ? "#e08000" : "transparent"; border.width: 2
                        activeFocusOnTab: true
                        function press() {
                            if (modelData.key === "close") plugin.quitPlugin();
                            else if (modelData.key === "next") plugin.nextVariant();
                            else plugin.act(modelData.key);
                        }
                        Keys.onSpacePressed: press()
                        Keys.onShortcutOverride: function (event) { event.accepted = plugin.ownsKey(event); }
                        Keys.onPressed: function (event) {
                            if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) { press(); event.accepted = true; }
                            else event.accepted = plugin.handleKey(event);
                        }
                        Text { anchors.centerIn: parent; text: modelData.label; color: button.usable ? "white" : "#6a6a6a"; font.pixelSize: 13 }
                        MouseArea { id: bma; anchors.fill: parent; onClicked: button.press() }
                    }
                }
            }

            Row {
                spacing: 8
                Rectangle {  // always takes its place, so the layout does not jump when it appears
                    width: 170; height: 30; radius: 4
                    opacity: plugin.bridgeDown ? 1 : 0
                    color: sma.pressed ? "#2f8f4f" : "#3faf5f"
                    Text { anchors.centerIn: parent; text: "Start bridge"; color: "white"; font.pixelSize: 13 }
                    MouseArea { id: sma; anchors.fill: parent; enabled: plugin.bridgeDown; onClicked: plugin.startBridge() }
                }
                Rectangle {
                    objectName: "button-preview"
                    width: 150; height: 30; radius: 4
                    color: pma.pressed ? "#2a5f9e" : "#3a7bc8"
                    border.color: activeFocus ? "#e08000" : "transparent"; border.width: 2
                    activeFocusOnTab: true
                    Keys.onSpacePressed: plugin.act("preview")
                    Text { anchors.centerIn: parent; text: "Preview variants"; color: "white"; font.pixelSize: 13 }
                    MouseArea { id: pma; anchors.fill: parent; onClicked: plugin.act("preview") }
                }
                Rectangle {
                    objectName: "button-regenerate"
                    width: 130; height: 30; radius: 4
                    color: rma.pressed ? "#7a4a1e" : "#b5712f"
                    border.color: activeFocus ? "#e08000" : "transparent"; border.width: 2
                    activeFocusOnTab: true
                    Keys.onSpacePressed: plugin.act("regenerate")
                    Text { anchors.centerIn: parent; text: "Regenerate"; color: "white"; font.pixelSize: 13 }
                    MouseArea { id: rma; anchors.fill: parent; onClicked: plugin.act("regenerate") }
                }
            }

            Rectangle {
                width: parent.width; height: 96; color: plugin.statusIsError ? "#fbeaea" : "#eaf1fb"; radius: 4
                Text { anchors.fill: parent; anchors.margins: 6; wrapMode: Text.Wrap; elide: Text.ElideRight
                       text: (plugin.busy ? "\u231B " : "") + plugin.status; font.pixelSize: 12
                       color: plugin.statusIsError ? "#9a0000" : "#202020" }
            }
            Text { text: "Enter: Continue   Esc: Close   Ctrl+Z: undo in the score   Tab: next field"; font.pixelSize: 11; color: "#666" }
            Text { width: parent.width; wrapMode: Text.Wrap; font.pixelSize: 11; color: "#666"
                   text: "Preview variants: the bridge engraves every variant (Continue with, Bars, Variants) and writes nothing until you pick one. " +
                         "Regenerate: new versions of the selected bars of one staff that fit the bars before and after; previewed the same way, " +
                         "written in place. Form: auto, free or a layout like AABB (Continue only)." }
        }
    }
}
