"""What a text prompt asks of the procedural engine: key, tempo, instruments, genre, mood.

Pure: a prompt in, a frozen :class:`PromptStyle` out. Keys and tempi are read
with :mod:`bridge.core.music`; this module only adds the shorthand spellings
("G#m", "key of Eb") that the vendor-style finder there does not look for
inside a longer sentence.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bridge.core.music import Key, find_bpm_in_prompt, find_key_in_prompt, parse_key

__all__ = [
    "GENRES",
    "INSTRUMENTS",
    "PromptStyle",
    "find_key_anywhere",
    "parse_prompt",
]

logger = logging.getLogger(__name__)

#: canonical instrument -> the words that name it; longer phrases are tried first
INSTRUMENTS: dict[str, tuple[str, ...]] = {
    "pan_flute": ("pan flute", "panflute", "pan pipes", "pan-flute"),
    "flute": ("flute", "flutes", "shakuhachi", "whistle"),
    "marimba": ("marimba", "xylophone", "kalimba", "mallets"),
    "vibraphone": ("vibraphone", "vibes", "glockenspiel", "celesta", "bells"),
    "sitar": ("sitar", "tanpura"),
    "koto": ("koto", "shamisen", "harp"),
    "synth_bass": ("synth bass", "sub bass", "808"),
    "bass": ("bass", "bassline", "upright bass", "double bass", "cello"),
    "piano": ("piano", "keys", "rhodes", "electric piano", "organ"),
    "strings": ("strings", "string", "violin", "violins", "orchestra", "orchestral strings", "choir"),
    "pad": ("pad", "pads", "synth pad", "drone"),
    "taiko": ("taiko drums", "taiko", "war drums"),
    "tabla": ("tabla drums", "tabla", "bongo", "bongos", "conga", "congas", "hand drums", "djembe", "cajon"),
    "percussion": ("percussion", "shaker", "shakers", "tambourine"),
    # not "beat": "beats per minute" is a tempo, not a drum kit
    "drums": ("drums", "drum kit", "drum", "breakbeat", "drum machine"),
    "guitar": ("guitar", "guitars", "acoustic guitar", "electric guitar", "ukulele", "banjo"),
    "synth": ("synth", "synths", "synthesizer", "lead synth", "arp", "arpeggiator", "chiptune"),
}

#: canonical genre -> words; the first genre found wins
GENRES: dict[str, tuple[str, ...]] = {
    "dnb": ("drum and bass", "drum & bass", "drum n bass", "dnb", "jungle", "liquid funk"),
    "house": ("house", "techno", "edm", "disco", "trance", "dance", "club", "four on the floor"),
    "hiphop": ("hip hop", "hip-hop", "hiphop", "rap", "trap", "boom bap", "lofi", "lo-fi", "lo fi", "dubstep"),
    "ambient": ("ambient", "meditation", "new age", "atmospheric", "soundscape", "drone music"),
    "classical": ("classical", "orchestral", "baroque", "cinematic", "film score", "symphonic", "chamber"),
    "rock": ("rock", "punk", "grunge", "metal", "indie"),
    "jazz": ("jazz", "swing", "bebop", "jazzy"),
    "funk": ("funk", "funky", "soul", "r&b", "motown"),
    "reggae": ("reggae", "dub", "ska", "dancehall"),
    "latin": ("latin", "bossa", "bossa nova", "samba", "salsa", "cumbia"),
    "world": ("world", "folk", "indian", "japanese", "african", "asian", "tribal", "celtic"),
    "pop": ("pop", "synthpop", "synthwave", "electronic", "electro"),
}

_DARK = ("dark", "sad", "melancholic", "melancholy", "moody", "gloomy", "sombre", "somber",
         "tense", "haunting", "eerie", "mysterious", "ominous", "brooding")
_BRIGHT = ("happy", "bright", "uplifting", "joyful", "cheerful", "sunny", "playful",
           "hopeful", "triumphant", "euphoric")
_CALM = ("calm", "chill", "relaxed", "relaxing", "peaceful", "gentle", "soft", "dreamy",
         "mellow", "slow", "sleepy", "serene", "quiet", "minimal", "sparse")
_ENERGETIC = ("energetic", "aggressive", "epic", "intense", "driving", "powerful",
              "upbeat", "fast", "hard", "heavy", "frantic", "pumping", "busy")


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<![\w&])(" + "|".join(re.escape(p) for p in ordered) + r")(?![\w&])", re.IGNORECASE)


_INSTRUMENT_PATTERNS = {name: _phrase_pattern(words) for name, words in INSTRUMENTS.items()}
_GENRE_PATTERNS = {name: _phrase_pattern(words) for name, words in GENRES.items()}
_MOOD_PATTERNS = {name: _phrase_pattern(words) for name, words in
                  (("dark", _DARK), ("bright", _BRIGHT), ("calm", _CALM), ("energetic", _ENERGETIC))}
_NO_DRUMS = re.compile(r"\b(no drums|without drums|drumless|no percussion|solo)\b", re.IGNORECASE)

# shorthand keys inside a sentence: a capital letter, so that the article "a" is never A major
_SHORT_MINOR = re.compile(r"(?<![\w#♯♭])([A-G](?:#|♯|♭|b)?)(m|min|-)(?![\w#])")
_SHORT_KEY_OF = re.compile(
    r"\bkey\s+of\s+([A-Ga-g](?:\s*(?:#|♯|♭|b)|\s+sharp|\s+flat)?)(\s*(?:m|min|minor|maj|major))?\b",
    re.IGNORECASE,
)
_SHORT_ACCIDENTAL = re.compile(r"(?<![\w#♯♭])([A-G](?:#|♯|♭|b))(?![\w#♯♭])")


@dataclass(frozen=True, slots=True)
class PromptStyle:
    """The musical content of a prompt, as far as the procedural engine reads it."""

    key: Key | None
    bpm: float | None
    #: canonical instrument names, in the order the prompt names them
    instruments: tuple[str, ...]
    #: canonical genre name, ``""`` when none was named
    genre: str
    #: ``True`` for dark/sad words, ``False`` for happy/bright words, ``None`` when neutral
    minor_mood: bool | None
    #: 0 (dark, soft) to 1 (bright, open)
    brightness: float
    #: 0 (sparse) to 1 (busy)
    density: float
    drums_forbidden: bool


def find_key_anywhere(prompt: str) -> Key | None:
    """A key written anywhere in a prompt, in vendor style or in shorthand.

    Tries :func:`bridge.core.music.find_key_in_prompt` first ("G# minor",
    "g sharp minor"), then "G#m"/"Ebm", "key of Ab", and a lone sharp or flat
    tonic like "F#" (read as major, as chord symbols are).
    """
    key = find_key_in_prompt(prompt)
    if key is not None:
        return key
    for pattern in (_SHORT_MINOR, _SHORT_KEY_OF, _SHORT_ACCIDENTAL):
        match = pattern.search(prompt)
        if match:
            return parse_key("".join(part for part in match.groups() if part).strip())
    return None


def parse_prompt(prompt: str) -> PromptStyle:
    text = " ".join(prompt.split())
    genres = [(match.start(), name) for name, pattern in _GENRE_PATTERNS.items()
              if (match := pattern.search(text))]
    # the genre named first leads: "deep house with jazz chords" is house
    genre = min(genres)[1] if genres else ""
    # "drum and bass" names a genre, not a drum kit and a bass guitar
    scrubbed = _GENRE_PATTERNS["dnb"].sub(lambda m: " " * len(m.group(0)), text)
    found: list[tuple[int, str]] = []
    for name, pattern in _INSTRUMENT_PATTERNS.items():
        match = pattern.search(scrubbed)
        if match:
            found.append((match.start(), name))
            # "pan flute" must not also count as "flute", nor "synth bass" as "synth"
            scrubbed = pattern.sub(lambda m: " " * len(m.group(0)), scrubbed)
    instruments = tuple(name for _, name in sorted(found))

    moods = {name for name, pattern in _MOOD_PATTERNS.items() if pattern.search(text)}
    minor_mood: bool | None = None
    if "dark" in moods and "bright" not in moods:
        minor_mood = True
    elif "bright" in moods and "dark" not in moods:
        minor_mood = False
    brightness = 0.55 + 0.3 * ("bright" in moods) - 0.3 * ("dark" in moods)
    density = 0.5 + 0.35 * ("energetic" in moods) - 0.35 * ("calm" in moods)
    if genre == "ambient":
        density -= 0.2
    style = PromptStyle(
        key=find_key_anywhere(text),
        bpm=find_bpm_in_prompt(text),
        instruments=instruments,
        genre=genre,
        minor_mood=minor_mood,
        brightness=min(max(brightness, 0.1), 1.0),
        density=min(max(density, 0.1), 1.0),
        drums_forbidden=bool(_NO_DRUMS.search(text)),
    )
    logger.debug("prompt %r read as %s", text[:80], style)
    return style
