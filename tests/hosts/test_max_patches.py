"""The Max patches: valid patcher JSON, sound cords, the daemon's addresses and ports, accepted by a running daemon."""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import build_msg

from bridge.core import addresses as A
from bridge.core.music import parse_key
from bridge.core.progress import Take
from bridge.daemon.service import Daemon, DaemonOptions
from support.maxpat import Patch, check_patch, read_patch, split_atoms

PATCH_DIR = Path(__file__).resolve().parents[2] / "max_patches"
PATCHES = sorted(PATCH_DIR.glob("*.maxpat"))
PLAIN = PATCH_DIR / "musicgen_bridge.maxpat"
LIVE = PATCH_DIR / "musicgen_bridge_live.maxpat"


def test_both_patches_are_there() -> None:
    assert {p.name for p in PATCHES} == {"musicgen_bridge.maxpat", "musicgen_bridge_live.maxpat"}
    assert (PATCH_DIR / "musicgen_clip.js").is_file() and (PATCH_DIR / "README.md").is_file()


@pytest.fixture(params=PATCHES, ids=lambda p: p.name)
def patch(request: pytest.FixtureRequest) -> Patch:
    return read_patch(request.param)


def test_patch_parses_and_every_cord_joins_real_inlets_and_outlets(patch: Patch) -> None:
    assert patch.data["fileversion"] == 1 and patch.boxes
    assert check_patch(patch) == []


def test_the_checker_catches_a_broken_cord(tmp_path: Path) -> None:
    # a checker that cannot fail would make the test above worthless
    text = PLAIN.read_text()
    broken = tmp_path / "broken.maxpat"
    broken.write_text(text.replace('"destination": [\n      "obj-', '"destination": [\n      "obj-9', 1))
    problems = check_patch(read_patch(broken))
    assert problems and "missing box" in problems[0]


def sent_messages(patch: Patch) -> list[list[str]]:
    """Atoms of every message box that starts with an OSC address (comma-separated messages split)."""
    out: list[list[str]] = []
    for box in patch.of_class("message"):
        for part in box.text.split(","):
            atoms = split_atoms(part)
            if atoms and atoms[0].startswith("/"):
                out.append(atoms)
    return out


def prepended_addresses(patch: Patch) -> list[str]:
    return [box.args[0] for box in patch.of_class("prepend") if box.args and box.args[0].startswith("/")]


def test_every_address_sent_or_routed_is_in_the_daemons_table(patch: Patch) -> None:
    sent = [atoms[0] for atoms in sent_messages(patch)] + prepended_addresses(patch)
    assert sent, "the patch sends nothing"
    assert sorted(set(sent) - set(A.INBOUND)) == []
    routed = [arg for box in patch.of_class("route") for arg in box.args]
    assert sorted(set(routed) - set(A.OUTBOUND)) == []
    for address in (A.JOB_STATUS, A.JOB_PROGRESS, A.JOB_DONE, A.JOB_ERROR, A.ERROR, A.PONG):
        assert address in routed
    for address in (A.SET_PROMPT, A.SET_BARS, A.SET_SEED, A.SET_VARIATIONS, A.SET_CLIP, A.GENERATE, A.CANCEL):
        assert address in sent


def test_ports_match_the_daemons_defaults(patch: Patch) -> None:
    (send,) = patch.of_class("udpsend")
    assert send.args == ["127.0.0.1", str(A.DEFAULT_OSC_PORT)]
    (receive,) = patch.of_class("udpreceive")
    assert receive.args == [str(A.DEFAULT_REPLY_PORT)] and receive.attribute("defer") == ["1"]
    # every OSC message reaches [udpsend]: from a message box or a [prepend] straight into it
    senders = {src.id for src, _, _ in patch.sources_of(send.id)}
    for box in patch.of_class("prepend") + patch.of_class("message"):
        if box.text.split()[0 if box.maxclass == "message" else 1].startswith("/musicgen"):
            assert box.id in senders, f"[{box.text}] is not wired to [udpsend]"


def test_plain_patch_has_the_controls_and_the_player() -> None:
    patch = read_patch(PLAIN)
    classes = {box.object_class for box in patch.all_boxes()}
    assert {"textedit", "umenu", "flonum", "number", "button", "slider", "buffer~", "sfplay~", "ezdac~",
            "adc~", "record~", "comment"} <= classes
    # the prompt goes out word by word: textedit -> [t l l] -> [prepend /musicgen/set/prompt]
    (prompt,) = [b for b in patch.of_class("prepend") if b.args == [A.SET_PROMPT]]
    (trigger,) = [src for src, _, _ in patch.sources_of(prompt.id)]
    assert {src.object_class for src, _, _ in patch.sources_of(trigger.id)} == {"textedit"}
    # the key menu's index is the key number the daemon reads (0-11 major from C, 12-23 minor)
    (menu,) = patch.of_class("umenu")
    items = " ".join(menu.raw["items"]).split(" , ")
    assert len(items) == 24
    assert [parse_key(item).index for item in items] == list(range(24))  # type: ignore[union-attr]
    assert patch.destinations_of(menu.id, 0)[0].args == [A.SET_KEY]
    # done -> replace into a buffer~, and open/play in sfplay~
    assert any(b.args == ["replace"] for b in patch.of_class("prepend"))
    assert any(b.text.startswith("buffer~ musicgen_take") for b in patch.of_class("buffer~"))
    # 30 s conditioning buffer written on stop
    assert any(b.args[:2] == ["musicgen_clip", "30000"] for b in patch.of_class("buffer~"))
    assert any(b.args == ["writewave"] for b in patch.of_class("prepend"))


def test_live_patch_reads_the_set_and_places_clips() -> None:
    patch = read_patch(LIVE)
    classes = {box.object_class for box in patch.all_boxes()}
    assert {"live.text", "live.numbox", "live.menu", "live.dial", "live.thisdevice", "live.path",
            "live.observer", "plugin~", "plugout~"} <= classes
    observed = {box.args[0] for box in patch.of_class("live.observer")}
    assert observed == {"tempo", "signature_numerator", "root_note", "scale_name"}
    assert any(box.text == "path live_set" for box in patch.of_class("message"))
    for box in patch.all_boxes():
        if box.object_class.startswith("live.") and box.maxclass != "newobj":
            # Live saves these as parameters: without a long name they are not automatable or stored
            assert box.raw.get("parameter_enable") == 1 and box.raw["saved_attribute_attributes"]["valueof"][
                "parameter_longname"
            ]
    (js,) = patch.of_class("js")
    script = (PATCH_DIR / js.args[0]).read_text()
    for needed in ("create_audio_clip", "clip_slots", "has_clip", "warping", '"name"', "this_device",
                   "get_bugfix_version"):
        assert needed in script
    assert any(box.args == ["done"] for box in patch.destinations_of(patch.of_class("route")[0].id, 2))


def test_patches_explain_themselves_in_comments(patch: Patch) -> None:
    comments = " ".join(box.text for box in patch.of_class("comment"))
    for words in ("9000", "9001", "prompt", "Generate", "clip"):
        assert words in comments


# --- the message boxes' contents, sent over real UDP to a running daemon --------------------------

#: arguments a user would give each [prepend] address; a new address without a sample fails the test
SAMPLE_ARGS: dict[str, list[Any]] = {
    A.SET_PROMPT: ["warm", "lo-fi", "hip", "hop,", "dusty", "drums"],
    A.SET_KEY: [20],
    A.SET_BPM: [96.0],
    A.SET_BARS: [4],
    A.SET_BEATS_PER_BAR: [4],
    A.SET_SEED: [-1],
    A.SET_VARIATIONS: [1],
}


class InstantTakeMaker:
    """Writes a short real WAV per job at once: the test is about the OSC contract, not generation."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    def make(self, spec: Any, *, progress: Any, cancel: threading.Event, on_accepted: Any) -> Take:
        with self.lock:
            self.count += 1
            path = self.folder / f"take-{self.count}.wav"
        sf.write(path, np.zeros((3200, 2), dtype=np.float32), 32000)
        return Take(path=path, spec=spec, seconds=0.1, sample_rate=32000)

    def resume(self, spec: Any, endpoint_id: str, *, progress: Any, cancel: threading.Event) -> Take:
        return self.make(spec, progress=progress, cancel=cancel, on_accepted=None)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[tuple[str, int], queue.Queue[tuple[str, list[Any]]]]]:
    replies: queue.Queue[tuple[str, list[Any]]] = queue.Queue()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                data, _ = sock.recvfrom(65536)
            except socket.timeout:
                continue
            message = OscMessage(data)
            replies.put((message.address, list(message.params)))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    (tmp_path / "takes").mkdir()
    options = DaemonOptions(
        osc_host="127.0.0.1", osc_port=0, reply_port=sock.getsockname()[1], journal_path=tmp_path / "journal.sqlite"
    )
    with Daemon(options, InstantTakeMaker(tmp_path / "takes")) as running:
        yield running.osc_address, replies
    stop.set()
    listener.join(timeout=2)
    sock.close()


def osc_from_patch(patch: Patch, clip: Path) -> list[tuple[str, list[Any]]]:
    """What the patch sends, as Max would send it: message boxes as typed, prepends with sample arguments."""
    messages: list[tuple[str, list[Any]]] = []
    for atoms in sent_messages(patch):
        address, args = atoms[0], atoms[1:]
        messages.append((address, [_atom(a) for a in args]))
    for address in prepended_addresses(patch):
        if address == A.SET_CLIP:
            messages.append((address, [str(clip)]))  # what the savedialog gave, after the buffer was written
        else:
            assert address in SAMPLE_ARGS, f"add sample arguments for {address} to SAMPLE_ARGS"
            messages.append((address, SAMPLE_ARGS[address]))
    return messages


def _atom(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def test_everything_the_patches_send_is_accepted_by_the_daemon(daemon, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (host, port), replies = daemon
    clip = tmp_path / "musicgen_clip.wav"
    sf.write(clip, np.random.default_rng(1).uniform(-0.3, 0.3, (32000, 2)).astype(np.float32), 32000)
    sent: list[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        for path in PATCHES:
            for address, args in osc_from_patch(read_patch(path), clip):
                # send settings before the trigger, as a user would set up before pressing Generate
                if address in (A.GENERATE, A.CANCEL):
                    continue
                client.sendto(build_msg(address, args).dgram, (host, port))
                sent.append(address)
            client.sendto(build_msg(A.SET_CLIP, [str(clip)]).dgram, (host, port))
            client.sendto(build_msg(A.GENERATE, []).dgram, (host, port))
            client.sendto(build_msg(A.CANCEL, []).dgram, (host, port))
        client.sendto(build_msg(A.PING, ["end"]).dgram, (host, port))
        seen: list[tuple[str, list[Any]]] = []
        while True:
            address, args = replies.get(timeout=10)
            seen.append((address, args))
            if address == A.PONG and args[:1] == ["end"]:
                break
    assert {A.SET_PROMPT, A.SET_BARS, A.SET_SEED, A.SET_VARIATIONS, A.SET_CLIP, A.PING} <= set(sent)
    errors = [(a, args) for a, args in seen if a in (A.ERROR, A.JOB_ERROR)]
    assert errors == []
    # the trigger made a job the patch's [route] will hear about
    assert any(a == A.JOB_STATUS for a, _ in seen) or any(a == A.JOB_QUEUED for a, _ in seen)
    # the patches' own ping (sent on load) was answered
    assert any(a == A.PONG and args[:1] == ["max"] for a, args in seen)
