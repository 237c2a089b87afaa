// lstmfuse for MuseScore 3.x and 4.x: continue the selected passage with a genre LSTM, or
// fuse genres by weight, written in place right after the selection as ONE undoable step.
//
// Needs the lstmfuse bridge running on this computer (lstmfuse bridge --background); the
// dialog offers to start it. Only QtQuick 2 and MuseScore 3.0 are imported so that the same
// file loads in MuseScore 3 (Qt 5) and MuseScore 4 (Qt 5/6); types that moved between
// versions (FileIO, Settings, QProcess) are created at run time by lstmfuse-core.js.

import QtQuick 2.0
import MuseScore 3.0
import "lstmfuse-core.js" as Core

MuseScore {
    id: plugin
    menuPath: "Plugins.lstmfuse"
    version: "1.0.0"
    description: "Continue the selected passage with a genre model, or fuse genres by weight (needs the lstmfuse bridge)."
    pluginType: "dialog"
    requiresScore: true
    width: 460
    height: 470

    property var io: null
    property var settings: null
    property var genres: []
    property var weights: ({})
    property int bars: 4
    property real temperature: 0.9
    property int variants: 1
    property string seedText: ""
    property string status: "Select a passage (a range in one staff), then Continue or Fuse."
    property bool bridgeDown: false
    property var last: null        // {answer, selection, range, kind}
    property int lastVariant: 0

    function quitPlugin() {
        if (typeof quit === "function") quit(); else Qt.quit();
    }

    function saveSettings() {
        if (!settings) return;
        settings.weights = JSON.stringify(weights);
        settings.bars = bars;
        settings.temperature = temperature;
        settings.variants = variants;
        settings.seed = seedText;
    }

    function loadSettings() {
        settings = Core.createObject(plugin, "Settings",
            "category: \"lstmfuse\"; property string weights: \"{}\"; property int bars: 4; " +
            "property real temperature: 0.9; property int variants: 1; property string seed: \"\"",
            ["import MuseScore 3.0", "import Qt.labs.settings 1.0"]);
        if (!settings) return;
        try { weights = JSON.parse(settings.weights) || {}; } catch (e) { weights = {}; }
        bars = settings.bars; temperature = settings.temperature; variants = settings.variants; seedText = settings.seed;
    }

    function refreshModels() {
        var res = Core.request(Core.connection(io), "GET", "/models");
        if (!res.ok) { bridgeDown = res.status === 0; status = res.error; return false; }
        bridgeDown = false;
        genres = res.body.genres;
        var w = {};
        for (var i = 0; i < genres.length; i++) w[genres[i]] = weights[genres[i]] !== undefined ? weights[genres[i]] : (i === 0 ? 1 : 0);
        weights = w;
        status = genres.length ? "Bridge ready: " + genres.length + " genre model(s)" + (res.body.fusion ? " and the fusion model." : " (no fusion model yet: Fuse is off).")
                               : "The bridge runs but no models are installed.";
        fuseButton.usable = res.body.fusion;
        return true;
    }

    function options(kind) {
        var o = { bars: bars, temperature: temperature, variants: variants };
        var seed = parseInt(seedText, 10);
        if (!isNaN(seed) && seed >= 0) o.seed = seed;
        if (kind === "fuse") {
            var w = {}; var any = false;
            for (var g in weights) if (weights[g] > 0) { w[g] = weights[g]; any = true; }
            if (!any) return null;
            o.weights = w;
        } else {
            var best = null;
            for (var h in weights) if (best === null || weights[h] > weights[best]) best = h;
            if (best === null) return null;
            o.genre = best;
        }
        return o;
    }

    function act(kind) {
        saveSettings();
        var o = options(kind);
        if (!o) { status = "Give at least one genre a weight above zero."; return; }
        status = (kind === "fuse" ? "Fusing " : "Continuing with " + o.genre) + "...";
        var range = Core.selectionRange(plugin);
        var g = Core.generate(plugin, io, range, kind, o);
        if (!g.ok) { bridgeDown = g.status === 0; status = g.message; return; }
        bridgeDown = false;
        last = { answer: g.answer, selection: g.selection, range: g.range, kind: kind };
        lastVariant = 0;
        write();
    }

    function write() {
        var v = last.answer.variants[lastVariant];
        var err = Core.writeVariant(plugin, last.range, last.selection, v, false);
        status = err === null ? Core.describe(last.answer, v) + (last.answer.variants.length > 1 ?
                 " (variant " + (lastVariant + 1) + " of " + last.answer.variants.length + ")" : "") + ". Ctrl+Z undoes it."
                 : "Not written: " + err;
        if (err !== null) last = null;
    }

    function nextVariant() {
        if (!last || last.answer.variants.length < 2) { status = "Ask for 2 or more variants first."; return; }
        plugin.cmd("undo");  // the previous variant was one command
        lastVariant = (lastVariant + 1) % last.answer.variants.length;
        write();
    }

    function startBridge() {
        status = "Starting the bridge (loading models)...";
        var s = Core.startBridge(plugin);
        if (!s.ok) { status = s.message; return; }
        if (refreshModels()) status = "Bridge started. " + status;
    }

    // MuseScore 4 metadata (title, thumbnail, category); 3.x has no such properties, so they
    // are set only where they exist instead of being declared above.
    Component.onCompleted: {
        if (mscoreMajorVersion >= 4) {
            try { plugin.title = "lstmfuse"; plugin.thumbnailName = "lstmfuse.png"; plugin.categoryCode = "composing-arranging-tools"; }
            catch (e) { }
        }
    }

    onRun: {
        io = Core.makeFileIO(plugin);
        loadSettings();
        refreshModels();
        console.log("lstmfuse: " + status);
        console.log("lstmfuse-setup: settings=" + (settings ? "yes" : "no") + " fileio=" + (io ? "yes" : "no"));
    }

    Rectangle {
        anchors.fill: parent
        color: "#f4f4f4"

        Column {
            anchors.fill: parent
            anchors.margins: 12
            spacing: 8

            Text { text: "lstmfuse: continue or fuse"; font.bold: true; font.pixelSize: 16 }
            Text { text: "Genre weights (Continue uses the strongest; Fuse mixes them all):"; font.pixelSize: 12 }

            Repeater {
                model: plugin.genres
                delegate: Row {
                    spacing: 8
                    property string genre: modelData
                    Text { width: 90; text: genre; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                    Rectangle {
                        id: track
                        width: 220; height: 18; radius: 9; color: "#dddddd"
                        anchors.verticalCenter: parent.verticalCenter
                        Rectangle {
                            width: Math.max(18, track.width * (plugin.weights[genre] || 0)); height: parent.height; radius: 9; color: "#4a90d9"
                        }
                        MouseArea {
                            anchors.fill: parent
                            function setFrom(x) {
                                var w = JSON.parse(JSON.stringify(plugin.weights));
                                w[genre] = Math.round(Math.max(0, Math.min(1, x / track.width)) * 20) / 20;
                                plugin.weights = w;
                            }
                            onPressed: setFrom(mouse.x)
                            onPositionChanged: setFrom(mouse.x)
                        }
                    }
                    Text { width: 40; text: Math.round((plugin.weights[genre] || 0) * 100) + "%"; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                }
            }

            Row {
                spacing: 10
                Text { text: "Bars to add"; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                Rectangle { width: 50; height: 24; color: "white"; border.color: "#999"
                    TextInput { anchors.fill: parent; anchors.margins: 4; text: String(plugin.bars); validator: IntValidator { bottom: 1; top: 64 }
                                onTextChanged: { var n = parseInt(text, 10); if (!isNaN(n)) plugin.bars = n; } } }
                Text { text: "Variants"; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                Rectangle { width: 40; height: 24; color: "white"; border.color: "#999"
                    TextInput { anchors.fill: parent; anchors.margins: 4; text: String(plugin.variants); validator: IntValidator { bottom: 1; top: 8 }
                                onTextChanged: { var n = parseInt(text, 10); if (!isNaN(n)) plugin.variants = n; } } }
                Text { text: "Seed"; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                Rectangle { width: 90; height: 24; color: "white"; border.color: "#999"
                    TextInput { anchors.fill: parent; anchors.margins: 4; text: plugin.seedText; validator: IntValidator { bottom: 0 }
                                onTextChanged: plugin.seedText = text } }
            }

            Row {
                spacing: 8
                Text { width: 90; text: "Temperature"; font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
                Rectangle {
                    id: ttrack
                    width: 220; height: 18; radius: 9; color: "#dddddd"
                    anchors.verticalCenter: parent.verticalCenter
                    Rectangle { width: Math.max(18, ttrack.width * (plugin.temperature - 0.1) / 1.9); height: parent.height; radius: 9; color: "#d98a4a" }
                    MouseArea {
                        anchors.fill: parent
                        function setFrom(x) { plugin.temperature = Math.round((0.1 + 1.9 * Math.max(0, Math.min(1, x / ttrack.width))) * 20) / 20; }
                        onPressed: setFrom(mouse.x)
                        onPositionChanged: setFrom(mouse.x)
                    }
                }
                Text { text: plugin.temperature.toFixed(2); font.pixelSize: 13; anchors.verticalCenter: parent.verticalCenter }
            }

            Row {
                spacing: 8
                Rectangle { id: continueButton; width: 90; height: 30; radius: 4; color: ma1.pressed ? "#3a70b0" : "#4a90d9"
                    Text { anchors.centerIn: parent; text: "Continue"; color: "white" }
                    MouseArea { id: ma1; anchors.fill: parent; onClicked: plugin.act("continue") } }
                Rectangle { id: fuseButton; property bool usable: true; width: 90; height: 30; radius: 4
                    color: !usable ? "#aaaaaa" : (ma2.pressed ? "#3a70b0" : "#4a90d9")
                    Text { anchors.centerIn: parent; text: "Fuse"; color: "white" }
                    MouseArea { id: ma2; anchors.fill: parent; onClicked: if (fuseButton.usable) plugin.act("fuse") } }
                Rectangle { width: 110; height: 30; radius: 4; color: ma3.pressed ? "#888" : "#aaaaaa"
                    Text { anchors.centerIn: parent; text: "Next variant"; color: "white" }
                    MouseArea { id: ma3; anchors.fill: parent; onClicked: plugin.nextVariant() } }
                Rectangle { width: 80; height: 30; radius: 4; color: ma4.pressed ? "#888" : "#aaaaaa"
                    Text { anchors.centerIn: parent; text: "Close"; color: "white" }
                    MouseArea { id: ma4; anchors.fill: parent; onClicked: { plugin.saveSettings(); plugin.quitPlugin(); } } }
            }

            Rectangle { visible: plugin.bridgeDown; width: 130; height: 30; radius: 4; color: ma5.pressed ? "#2f8f4f" : "#3faf5f"
                Text { anchors.centerIn: parent; text: "Start bridge"; color: "white" }
                MouseArea { id: ma5; anchors.fill: parent; onClicked: plugin.startBridge() } }

            Text { width: parent.width; wrapMode: Text.Wrap; text: plugin.status; font.pixelSize: 12; color: plugin.bridgeDown ? "#b00000" : "#202020" }
        }
    }
}
