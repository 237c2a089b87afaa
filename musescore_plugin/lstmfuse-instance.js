.pragma library
// One lstmfuse dialog per MuseScore: a .pragma library script is loaded once per QML engine
// and shared by every copy of the plugin, so a second Plugins > lstmfuse finds the open
// dialog here, brings it to the front and closes itself.

var open = null;

function isOpen(dialog) {
    try {
        return dialog !== null && dialog !== undefined && dialog.isShowing();
    } catch (e) {
        return false;  // destroyed
    }
}

// Returns the dialog already open (then the caller raises it and quits), or null after
// registering `dialog` as the open one.
function claim(dialog) {
    if (open !== dialog && isOpen(open)) return open;
    open = dialog;
    return null;
}

function release(dialog) {
    if (open === dialog) open = null;
}
