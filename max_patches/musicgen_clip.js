// musicgen_clip.js: the Live API side of the MusicGen Bridge Max for Live device.
//
// Messages in (from the patch):
//   prompt <words...>          remember the prompt, to name the next clips
//   done <job> <path> ...      a take is ready: put it in the next empty clip slot of this track
//   root_note <n>              from [live.observer root_note] (Live 12)
//   scale_name <name...>       from [live.observer scale_name] (Live 12)
//   menu_key <index>           from the Key live.menu: 0 = "Live set", 1..24 = C major .. B minor
// Out:
//   outlet 0: OSC messages for [udpsend] (/musicgen/set/key <0-23 | none>)
//   outlet 1: a status line for the patch ("set ..." is added by the patch)

autowatch = 1;
inlets = 1;
outlets = 2;

var lastPrompt = "";
var rootNote = -1;
var scaleName = "";
var menuKey = 0;

// Live 12's scale names folded onto major/minor, as bridge/hosts/ableton.py does
var MAJOR_MODES = ["major", "ionian", "lydian", "mixolydian", "major pentatonic", "major blues"];
var MINOR_MODES = ["minor", "aeolian", "dorian", "phrygian", "locrian", "harmonic minor", "melodic minor",
                   "minor pentatonic", "minor blues"];

function contains(list, value) {
    for (var i = 0; i < list.length; i++) { if (list[i] === value) { return true; } }
    return false;
}

// 0-11 major from C, 12-23 minor from C (the bridge's key numbers), or -1 when no mode fits
function keyIndex(root, scale) {
    if (root < 0 || root > 11) { return -1; }
    var name = String(scale).toLowerCase().replace(/\s+/g, " ");
    if (contains(MINOR_MODES, name) || (!contains(MAJOR_MODES, name) && name.indexOf("minor") >= 0)) { return root + 12; }
    if (contains(MAJOR_MODES, name) || name.indexOf("major") >= 0) { return root; }
    return -1;
}

function sendKey() {
    if (menuKey > 0) { outlet(0, "/musicgen/set/key", menuKey - 1); return; }
    var index = keyIndex(rootNote, scaleName);
    if (index >= 0) { outlet(0, "/musicgen/set/key", index); }
    else if (rootNote >= 0) { outlet(0, "/musicgen/set/key", "none"); }
}

function prompt() { lastPrompt = arrayfromargs(arguments).join(" "); }
function root_note(n) { rootNote = n; sendKey(); }
function scale_name() { scaleName = arrayfromargs(arguments).join(" "); sendKey(); }
function menu_key(i) { menuKey = i; sendKey(); }

function liveVersion() {
    var app = new LiveAPI("live_app");
    return [Number(app.call("get_major_version")), Number(app.call("get_minor_version")),
            Number(app.call("get_bugfix_version"))];
}

// ClipSlot.create_audio_clip arrived in Live 12.0.5
function hasCreateAudioClip(v) {
    return v[0] > 12 || (v[0] === 12 && (v[1] > 0 || v[2] >= 5));
}

// The track holding this device; a device inside a rack sits in a chain, so walk up.
function deviceTrack() {
    var obj = new LiveAPI("this_device");
    for (var depth = 0; depth < 8 && obj.id != 0; depth++) {
        if (obj.type === "Track") { return obj; }
        obj = new LiveAPI(obj.unquotedpath + " canonical_parent");
    }
    return null;
}

function done(job, path) {
    path = String(path);
    var v = liveVersion();
    if (!hasCreateAudioClip(v)) {
        outlet(1, "Live " + v.join(".") + " cannot place clips (needs 12.0.5): drag in " + path);
        return;
    }
    var track = deviceTrack();
    if (track === null) { outlet(1, "cannot find this device's track: drag in " + path); return; }
    var count = track.getcount("clip_slots");
    for (var i = 0; i < count; i++) {
        var slot = new LiveAPI(track.unquotedpath + " clip_slots " + i);
        if (Number(slot.get("has_clip")) === 0) {
            // create_audio_clip needs an absolute path, and an audio track (not MIDI, not a group)
            slot.call("create_audio_clip", path);
            if (Number(slot.get("has_clip")) !== 1) {
                outlet(1, "Live refused the take (is this an audio track?): " + path);
                return;
            }
            var clip = new LiveAPI(slot.unquotedpath + " clip");
            clip.set("warping", 1);
            clip.set("name", lastPrompt !== "" ? lastPrompt : path.replace(/^.*[\/\\]/, ""));
            outlet(1, "take in slot " + (i + 1) + ": " + path);
            return;
        }
    }
    outlet(1, "no empty clip slot on this track (add a scene): " + path);
}
