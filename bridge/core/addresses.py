"""Every OSC address the bridge speaks, spelled once.

README's address table, the Max patches and the tests are all checked against
these constants (tests/test_contract.py).
"""

from __future__ import annotations

PREFIX = "/musicgen"

# inbound: host to bridge
SET_PREFIX = f"{PREFIX}/set/"
GET_PREFIX = f"{PREFIX}/get/"
SET_PROMPT = f"{SET_PREFIX}prompt"
SET_KEY = f"{SET_PREFIX}key"
SET_BPM = f"{SET_PREFIX}bpm"
SET_BARS = f"{SET_PREFIX}bars"
SET_BEATS_PER_BAR = f"{SET_PREFIX}beats_per_bar"
SET_SECONDS = f"{SET_PREFIX}seconds"
SET_CLIP = f"{SET_PREFIX}clip"
SET_SEED = f"{SET_PREFIX}seed"
SET_VARIATIONS = f"{SET_PREFIX}variations"
GENERATE = f"{PREFIX}/generate"
CANCEL = f"{PREFIX}/cancel"
PING = f"{PREFIX}/ping"
# audio capture: the captured file becomes the sticky clip (needs --capture-device)
CAPTURE_PREFIX = f"{PREFIX}/capture/"
CAPTURE_START = f"{CAPTURE_PREFIX}start"
CAPTURE_STOP = f"{CAPTURE_PREFIX}stop"
CAPTURE_BARS = f"{CAPTURE_PREFIX}bars"

#: the sticky settings a host can set and get, in README order
STICKY_NAMES = ("prompt", "key", "bpm", "bars", "beats_per_bar", "seconds", "clip", "seed", "variations")

# outbound: bridge to host
PONG = f"{PREFIX}/pong"
JOB_QUEUED = f"{PREFIX}/job/queued"
JOB_STATUS = f"{PREFIX}/job/status"
JOB_PROGRESS = f"{PREFIX}/job/progress"
JOB_DONE = f"{PREFIX}/job/done"
JOB_ERROR = f"{PREFIX}/job/error"
ERROR = f"{PREFIX}/error"
TEMPO = f"{PREFIX}/tempo"

INBOUND = (
    *(f"{SET_PREFIX}{name}" for name in STICKY_NAMES),
    *(f"{GET_PREFIX}{name}" for name in STICKY_NAMES),
    GENERATE,
    CANCEL,
    PING,
    CAPTURE_START,
    CAPTURE_STOP,
    CAPTURE_BARS,
)
OUTBOUND = (PONG, JOB_QUEUED, JOB_STATUS, JOB_PROGRESS, JOB_DONE, JOB_ERROR, ERROR, TEMPO)

DEFAULT_OSC_PORT = 9000
DEFAULT_REPLY_PORT = 9001
