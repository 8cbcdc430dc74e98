"""The README documents every setting, every route and the two set-up commands."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Route, WebSocketRoute

from board.settings import SETTINGS, Settings
from board.web.routes import create_app
from board.web.trainer import action_names

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_documented_with_its_default():
    for setting in SETTINGS:
        row = next((line for line in README.splitlines() if f"`{setting.env}`" in line), None)
        assert row is not None, f"{setting.env} is not in the README"
        if setting.default:
            assert f"`{setting.default}`" in row, f"{setting.env}: default not documented"


def test_every_route_is_documented(tmp_path):
    app = create_app(Settings(data_dir=tmp_path, secret_key="k"))
    for route in app.routes:
        if isinstance(route, Route | WebSocketRoute):
            path = route.path.replace("{card_id}", "{id}").replace("{lang}", "{de\\|en}")
            path = path.replace("{fmt}", "{pdf,html,md,csv,json}")
            path = path.replace(":path}", "}")  # a converter is not part of the address
            assert path in README, f"{path} is not in the README"


def test_every_trainer_action_is_documented():
    for action in action_names():
        assert f"`{action}`" in README


def test_the_readme_starts_with_the_two_commands():
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert "board serve" in block[0]
    assert block[1] == "bash scripts/test"
    assert "scripts/test" in (Path(__file__).resolve().parent.parent / ".ci/run").read_text()


def test_the_readme_states_the_undo_depth_the_code_keeps():
    from board.undo import UNDO_DEPTH

    assert f"up to {UNDO_DEPTH} actions per step" in README


def test_the_readme_states_the_speedmeet_circle_the_code_keeps():
    from board.circles import MIN_CIRCLE
    from board.pairs import MAX_CIRCLE

    assert f"`circle_size` ({MAX_CIRCLE}, `board.pairs.MAX_CIRCLE`;" in README
    assert f"at least {MIN_CIRCLE}, `board.circles.MIN_CIRCLE`)" in README
    assert f"`circle_size`, {MIN_CIRCLE} to {MAX_CIRCLE}:" in README
