from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import FIELDS, Settings, load_settings
from bridge.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_use_the_local_endpoint_and_loopback() -> None:
    settings = load_settings(environ={})
    assert settings.uses_local_endpoint and settings.endpoint_url is None
    assert settings.osc_host == "127.0.0.1" and settings.osc_port == 9000 and settings.reply_port == 9001


def test_precedence_is_defaults_file_environment_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "osc_port = 9100\nreply_port = 9101\nconcurrency = 3\n")
    env = {"MUSICGEN_BRIDGE_REPLY_PORT": "9201", "MUSICGEN_BRIDGE_CONCURRENCY": "4"}
    settings = load_settings(path, environ=env, flags={"concurrency": 5, "out": None})
    assert (settings.osc_port, settings.reply_port, settings.concurrency) == (9100, 9201, 5)


def test_default_file_location_is_read(isolated_home: Path) -> None:
    path = isolated_home / ".config" / "musicgen-bridge" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('prompt_unused = 1\n')
    with pytest.raises(ConfigError, match="unknown key 'prompt_unused'"):
        load_settings()


@pytest.mark.parametrize("text, match", [
    ("osc_prot = 9000\n", "unknown key 'osc_prot'; did you mean 'osc_port'"),
    ("concurency = 2\n", "did you mean 'concurrency'"),
    ("osc_port = 'nine'\n", "osc_port must be int"),
    ("osc_port = 70000\n", "osc_port must be a UDP port"),
    ("api_fields = 'tokenz'\n", "api_fields must be one of duration, tokens"),
    ("tempo_source = 'live'\n", "tempo_source must be one of"),
    ("notify = ['nohost']\n", "is not HOST:PORT"),
    ("osc_host = '0.0.0.0'\n", "add --allow CIDR"),
    ("osc_host = '0.0.0.0'\nallow = ['not a cidr']\n", "is not a network; write it as CIDR"),
    ("osc_port = \n", "not valid TOML"),
])
def test_bad_files_name_the_problem(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_settings(write(tmp_path, text), environ={})


def test_lan_listening_with_an_allow_list_is_accepted(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "osc_host = '0.0.0.0'\nallow = ['192.168.1.0/24']\n"), environ={})
    assert settings.allow == ("192.168.1.0/24",)


def test_unknown_environment_setting_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="MUSICGEN_BRIDGE_OSC_PRT; did you mean 'osc_port'"):
        load_settings(environ={"MUSICGEN_BRIDGE_OSC_PRT": "1"})


def test_api_key_comes_from_the_environment_and_selects_the_vendor() -> None:
    settings = load_settings(environ={"MODELSLAB_API_KEY": "sk-live-abcdef"})
    assert settings.endpoint_url == "https://modelslab.com/api/v6/voice"
    assert "sk-live-abcdef" not in repr(settings)


def test_api_key_is_never_a_flag() -> None:
    with pytest.raises(ConfigError, match="unknown flag"):
        load_settings(environ={}, flags={"api_key": "x"})


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no config file at"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    missing = [name for name in FIELDS if f"`{name}`" not in readme]
    assert missing == []
    assert Settings.__dataclass_fields__["osc_port"].metadata["doc"]


def test_midi_api_names_are_the_ones_the_midi_adapter_maps() -> None:
    from bridge.config import MIDI_API_NAMES
    from bridge.midi.ports import MIDI_APIS

    assert MIDI_API_NAMES == tuple(MIDI_APIS)
    with pytest.raises(ConfigError, match="midi_api must be one of alsa, jack"):
        load_settings(environ={"MUSICGEN_BRIDGE_MIDI_API": "oss"})


def test_midi_table_is_read_as_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, "[midi]\nchannel = 10\n[midi.presets.dusty]\nprompt = 'boom bap'\nnote = 36\n")
    settings = load_settings(path, environ={})
    assert settings.midi["channel"] == 10 and settings.midi["presets"]["dusty"]["note"] == 36
