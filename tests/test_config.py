from __future__ import annotations

import json

import pytest

from service.config import DEFAULTS, ConfigError, load_config


def test_defaults():
    assert load_config(environ={}) == DEFAULTS


def test_file_then_environment_then_overrides(tmp_path):
    config_file = tmp_path / "ktag.json"
    config_file.write_text(json.dumps({"data": "/srv/ktag", "max_documents": 10, "protect_reads": True}), encoding="utf-8")
    env = {"KTAG_CONFIG": str(config_file), "KTAG_MAX_DOCUMENTS": "20", "KTAG_RELOAD_SECONDS": "0.5"}
    config = load_config({"TOKENS": "a:b"}, environ=env)
    assert config["DATA"] == "/srv/ktag"
    assert config["MAX_DOCUMENTS"] == 20  # the variable wins over the file
    assert config["PROTECT_READS"] is True
    assert config["RELOAD_SECONDS"] == 0.5
    assert config["TOKENS"] == "a:b"
    assert load_config({"MAX_DOCUMENTS": 5}, environ=env)["MAX_DOCUMENTS"] == 5


@pytest.mark.parametrize(
    "env,message",
    [
        ({"KTAG_MAX_DOCUMENTS": "lots"}, "MAX_DOCUMENTS"),
        ({"KTAG_PROTECT_READS": "perhaps"}, "PROTECT_READS"),
        ({"KTAG_CONFIG": "/nonexistent/ktag.json"}, "config file"),
    ],
)
def test_bad_settings(env, message):
    with pytest.raises(ConfigError, match=message):
        load_config(environ=env)
