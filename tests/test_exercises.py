"""Exercise files: the built-ins load, and every mistake names file, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from board.exercises import (
    BUILTIN_DIR,
    DEFAULT_WEATHER,
    KINDS,
    Exercise,
    ExerciseError,
    StepSpec,
    load_file,
    load_library,
)

BUILTIN_KINDS = {
    "kundenbegeisterung": ["cards", "dots"],
    "kunde-koenig": ["scale", "cards", "scale", "cards"],
    "ok-corral": ["grid", "cards"],
    "speedmeet": ["pairs"],
    "8ps-beziehungsmarketing": ["cards", "dots"],
    "unsere-wanderung": ["mood", "cards", "cards", "cards"],
    "auftragsklaerung": ["cards", "cards", "cards", "cards", "scale"],
    "massnahmenplan": ["actions"],
    "erwartungen-befuerchtungen": ["cards"],
    "feedback": ["target", "flash"],
}

HEADER = """\
key = "{key}"
title = {{ de = "Übung", en = "Exercise" }}
"""
CARDS_STEP = """
[[steps]]
kind = "cards"
prompt = { de = "Was fällt Ihnen ein?", en = "What comes to mind?" }
"""
LABELS = """[
  { de = "trifft zu", en = "agree" },
  { de = "trifft nicht zu", en = "disagree" },
]"""


def builtin(key: str) -> Exercise:
    found = load_library(BUILTIN_DIR).get(key)
    assert found is not None, key
    return found


def write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def an_exercise_file(key: str = "uebung", steps: str = CARDS_STEP) -> str:
    return HEADER.format(key=key) + steps


def a_step(kind: str, settings: str = "", prompt: str | None = None) -> str:
    prompt_line = 'prompt = { de = "Frage", en = "Question" }' if prompt is None else prompt
    return f'\n[[steps]]\nkind = "{kind}"\n{prompt_line}\n{settings}\n'


def error_in(tmp_path: Path, body: str, name: str = "mine.toml") -> ExerciseError:
    path = write(tmp_path, name, body)
    with pytest.raises(ExerciseError) as caught:
        load_file(path)
    return caught.value


# -- the built-ins --------------------------------------------------------------


def test_every_builtin_file_loads_without_an_error() -> None:
    files = sorted(BUILTIN_DIR.glob("*.toml"))
    assert len(files) == 10
    for path in files:
        assert load_file(path).path == path
    assert load_library(BUILTIN_DIR).errors == []


def test_the_library_lists_the_files_by_their_number_and_the_feedback_last() -> None:
    listed = [e.path.name for e in load_library(BUILTIN_DIR).in_order()]
    assert listed[0] == "1-kundenbegeisterung.toml"
    assert listed[-2:] == ["9-erwartungen.toml", "10-feedback.toml"]  # not after "1-…"


def test_a_file_without_a_number_comes_after_the_numbered_ones(tmp_path: Path) -> None:
    write(tmp_path, "retro.toml", an_exercise_file("retro"))
    write(tmp_path, "12-abschluss.toml", an_exercise_file("abschluss"))
    write(tmp_path, "2-auftakt.toml", an_exercise_file("auftakt"))
    assert [e.key for e in load_library(tmp_path).in_order()] == ["auftakt", "abschluss", "retro"]


def test_the_eight_exercises_of_the_seed_material_with_their_kinds() -> None:
    library = load_library(BUILTIN_DIR)
    assert {key: [s.kind for s in e.steps] for key, e in library.exercises.items()} == (
        BUILTIN_KINDS
    )


def test_every_builtin_speaks_german_and_english() -> None:
    for exercise in load_library(BUILTIN_DIR).exercises.values():
        assert set(exercise.title) == {"de", "en"}
        for step in exercise.steps:
            assert set(step.config["prompt"]) == {"de", "en"}
            assert step.config["title"] == exercise.title  # each step knows its exercise


def test_kundenbegeisterung_collects_hidden_cards_then_dots_on_the_clusters() -> None:
    cards, dots = builtin("kundenbegeisterung").steps
    assert cards.config["hidden"] is True
    assert dots.config["options_from"] == "clusters"
    assert "options" not in dots.config


def german(step: StepSpec) -> str:
    return str(step.config["prompt"]["de"])


def test_kunde_koenig_asks_for_statements_a_scale_can_answer() -> None:
    # "„Kunde auf Augenhöhe“ beschreibt unsere Haltung besser." – a statement to agree
    # with, not a question ("passt das besser?") that a scale of agreement cannot answer.
    king, reasons, equal, serve = builtin("kunde-koenig").steps
    for scale in (king, equal):
        assert scale.kind == "scale"
        assert not german(scale).endswith("?")
        labels = [label["de"] for label in scale.config["labels"]]
        assert (labels[0], labels[-1]) == ("trifft voll zu", "trifft gar nicht zu")
    assert "König" in german(king)
    assert german(equal) == "„Kunde auf Augenhöhe“ beschreibt unsere Haltung besser."
    assert reasons.kind == "cards"


def test_kunde_koenig_redefines_dienen_um_zu_verdienen_on_cards() -> None:
    serve = builtin("kunde-koenig").steps[-1]
    assert serve.kind == "cards"  # to redefine it, not to rate it
    assert "„Dienen, um zu verdienen“" in german(serve)


def test_the_ok_corral_reads_as_ernst_drew_it() -> None:
    grid = builtin("ok-corral").steps[0]
    config = grid.config
    assert (config["x_axis"]["low"]["de"], config["x_axis"]["high"]["de"]) == (
        "ich bin nicht ok",
        "ich bin ok",
    )
    assert (config["y_axis"]["low"]["de"], config["y_axis"]["high"]["de"]) == (
        "du bist nicht ok",
        "du bist ok",
    )
    assert config["hidden"] is True  # revealed together


def test_the_ok_corral_names_its_quadrants_by_what_one_does_there() -> None:
    [grid, _] = builtin("ok-corral").steps
    quadrants = {name: text["de"] for name, text in grid.config["quadrants"].items()}
    assert quadrants == {
        "top_right": "miteinander auskommen",
        "bottom_right": "loswerden",
        "top_left": "weggehen",
        "bottom_left": "nicht weiterkommen",
    }


def test_the_ok_corral_asks_for_a_dot_in_each_of_several_situations() -> None:
    [grid, _] = builtin("ok-corral").steps
    assert german(grid).startswith("Setzen Sie je einen Punkt")
    situations = [s["de"] for s in grid.config["situations"]]
    assert len(situations) >= 3
    assert any("Kundschaft" in s for s in situations)


def test_after_the_ok_corral_comes_the_way_to_the_top_right() -> None:
    follow_up = builtin("ok-corral").steps[1]
    assert follow_up.kind == "cards"
    assert "Was bringt mich nach oben rechts?" in german(follow_up)


def test_speedmeet_talks_about_work_and_who_answers_which_customer_question() -> None:
    [pairs] = builtin("speedmeet").steps
    prompt = german(pairs)
    assert "begeistert" not in prompt  # not "Was begeistert Sie an Ihrem Beruf?"
    for topic in ("Aufgaben", "abteilungsübergreifend", "Kundenwünsche", "Kundenfragen"):
        assert topic in prompt, topic
    assert "interne Ansprechperson" in prompt
    assert (pairs.config["round_minutes"], pairs.config["changeover_seconds"]) == (4, 30)


def test_the_eight_ps_ask_for_the_goal_first_then_weigh_the_instruments() -> None:
    goal, instruments = builtin("8ps-beziehungsmarketing").steps
    assert goal.kind == "cards"
    assert "Was wollen Sie in 2 bis 5 Jahren erreichen?" in german(goal)
    assert instruments.kind == "dots"


def test_erwartungen_und_befuerchtungen_are_two_colours_with_meanings_revealed_later() -> None:
    [cards] = load_library(BUILTIN_DIR).exercises["erwartungen-befuerchtungen"].steps
    assert cards.config["hidden"] is True  # nobody writes a worry for all to watch
    assert [(c["colour"], c["label"]["de"], c["label"]["en"]) for c in cards.config["colours"]] == [
        ("yellow", "Erwartung", "Expectation"),
        ("orange", "Befürchtung", "Concern"),
    ]


def test_the_closing_feedback_is_a_target_on_four_criteria_then_a_blitzlicht() -> None:
    target, flash = builtin("feedback").steps
    assert target.kind == "target"
    assert [c["de"] for c in target.config["criteria"]] == [
        "Inhalte",
        "Methoden",
        "Atmosphäre",
        "Nutzen für mich",
    ]
    assert all(c["en"] for c in target.config["criteria"])
    assert "Mitte" in german(target)  # the phone says which way round the target reads
    assert flash.kind == "flash"
    assert german(flash).startswith("Was nehme ich mit?")
    # Both hidden: nobody rates or sums up the day after watching the others do it.
    assert target.config["hidden"] is True and flash.config["hidden"] is True


def test_the_eight_ps_carry_their_full_names_from_the_source() -> None:
    _, instruments = builtin("8ps-beziehungsmarketing").steps
    names = [o["de"] for o in instruments.config["options"]]
    assert len(names) == 8
    assert all(name.startswith("P") for name in names)
    assert "Plätze des Kontakts" in names
    assert "Preise, Rabatte und dazugehörige Strategien" in names
    assert "Positionierung des Angebots" in names
    assert "Prozesse und Interaktionen" in names


def test_each_p_has_a_short_explanation_for_the_phone() -> None:
    _, instruments = builtin("8ps-beziehungsmarketing").steps
    explanations = instruments.config["explanations"]
    assert len(explanations) == len(instruments.config["options"])
    places = instruments.config["options"].index(
        {"de": "Plätze des Kontakts", "en": "Places of contact"}
    )
    assert "Werbung" in explanations[places]["de"]  # "für Annäherung, Werbung, Angebote …"
    assert all(len(e["de"]) <= 200 for e in explanations)  # short: read on a phone


def test_unsere_wanderung_looks_back_with_the_client_then_ahead() -> None:
    mood, stations, next_stage, support = builtin("unsere-wanderung").steps
    assert german(stations).startswith("Welche Stationen liegen hinter uns?")
    icons = [o["icon"] for o in mood.config["options"]]
    assert (icons[0], icons[-1]) == ("sun", "storm")
    assert "nächste Etappe" in german(next_stage)
    assert "Unterstützung" in german(support)
    assert "gemeinsam mit der kundschaft" in builtin("unsere-wanderung").description["de"].lower()


def test_auftragsklaerung_asks_the_client_what_lies_behind_the_request() -> None:
    goal, success, decides, expects, _ = builtin("auftragsklaerung").steps
    assert german(goal).startswith("Was wollen Sie wirklich erreichen")  # to the client
    assert "Format" in german(goal)  # the real goal behind the format asked for
    assert "Erfolg" in german(success)
    assert "entscheidet" in german(decides)
    assert "erwarten Sie von uns" in german(expects)


def test_auftragsklaerung_ends_with_a_go_or_no_go_on_passen_wir_zusammen() -> None:
    fit = builtin("auftragsklaerung").steps[-1]
    assert fit.kind == "scale"
    assert german(fit).startswith("Passen wir zusammen?")
    labels = [label["de"] for label in fit.config["labels"]]
    assert labels[0].startswith("ja") and labels[-1].startswith("nein")  # go … no-go


def test_massnahmenplan_is_an_action_plan() -> None:
    [actions] = builtin("massnahmenplan").steps
    assert actions.kind == "actions"
    assert "wer" in actions.config["prompt"]["de"].lower()


# -- defaults ---------------------------------------------------------------------


def test_a_mood_without_options_gets_the_five_weathers(tmp_path: Path) -> None:
    exercise = load_file(write(tmp_path, "m.toml", an_exercise_file(steps=a_step("mood"))))
    assert exercise.steps[0].config["options"] == DEFAULT_WEATHER
    assert exercise.steps[0].config["word"] is True


def test_a_grid_is_hidden_until_revealed_unless_the_file_says_otherwise(tmp_path: Path) -> None:
    axis = '{ low = { de = "nein", en = "no" }, high = { de = "ja", en = "yes" } }'
    quadrant = '{ de = "Q", en = "Q" }'
    settings = (
        f"x_axis = {axis}\ny_axis = {axis}\n"
        f'situations = [{{ de = "Jetzt", en = "Now" }}]\n'
        f"quadrants = {{ top_right = {quadrant}, top_left = {quadrant}, "
        f"bottom_left = {quadrant}, bottom_right = {quadrant} }}\n"
    )
    exercise = load_file(
        write(tmp_path, "g.toml", an_exercise_file(steps=a_step("grid", settings)))
    )
    assert exercise.steps[0].config["hidden"] is True


def test_a_step_may_have_its_own_title(tmp_path: Path) -> None:
    step = a_step("cards", 'title = { de = "Teil 2", en = "Part 2" }')
    exercise = load_file(write(tmp_path, "t.toml", an_exercise_file(steps=step)))
    assert exercise.steps[0].config["title"] == {"de": "Teil 2", "en": "Part 2"}
    assert exercise.title == {"de": "Übung", "en": "Exercise"}


# -- mistakes name file, field and problem -------------------------------------------


def test_a_file_that_is_not_toml(tmp_path: Path) -> None:
    error = error_in(tmp_path, 'key = "uebung"\ntitle = { de = "Übung", en = ', "broken.toml")
    assert error.path.name == "broken.toml"
    assert error.field == "(file)"
    assert error.problem.startswith("not valid TOML")
    assert str(error).startswith("broken.toml: (file): not valid TOML")


def test_an_unknown_kind(tmp_path: Path) -> None:
    error = error_in(tmp_path, an_exercise_file(steps=CARDS_STEP + a_step("poll")))
    assert (error.path.name, error.field) == ("mine.toml", "steps[1].kind")
    assert error.problem == f"expected one of {', '.join(KINDS)}"


def test_a_step_without_a_prompt(tmp_path: Path) -> None:
    error = error_in(tmp_path, an_exercise_file(steps=a_step("cards", prompt="")))
    assert (error.field, error.problem) == ("steps[0].prompt", "missing")
    assert str(error) == "mine.toml: steps[0].prompt: missing"


def test_a_prompt_without_english(tmp_path: Path) -> None:
    step = a_step("cards", prompt='prompt = { de = "Was fällt Ihnen ein?" }')
    error = error_in(tmp_path, an_exercise_file(steps=step))
    assert error.field == "steps[0].prompt"
    assert "German and English" in error.problem


def test_a_prompt_with_an_empty_english_text(tmp_path: Path) -> None:
    step = a_step("cards", prompt='prompt = { de = "Frage", en = "  " }')
    error = error_in(tmp_path, an_exercise_file(steps=step))
    assert (error.field, error.problem) == ("steps[0].prompt.en", "expected a non-empty string")


def test_a_typo_in_a_field_name(tmp_path: Path) -> None:
    error = error_in(tmp_path, an_exercise_file(steps=a_step("scale", f"lables = {LABELS}")))
    assert error.field == "steps[0].lables"
    assert error.problem.startswith("unknown field")
    assert "labels" in error.problem  # the known fields help to spot the typo


def test_a_typo_at_the_top_of_the_file(tmp_path: Path) -> None:
    error = error_in(tmp_path, 'titel = { de = "a", en = "b" }\n' + an_exercise_file())
    assert error.field == "titel"
    assert error.problem.startswith("unknown field")


def test_a_scale_with_one_label(tmp_path: Path) -> None:
    settings = 'labels = [{ de = "trifft zu", en = "agree" }]'
    error = error_in(tmp_path, an_exercise_file(steps=a_step("scale", settings)))
    assert (error.field, error.problem) == ("steps[0].labels", "expected a list of 2 to 10 texts")


def test_a_scale_without_labels(tmp_path: Path) -> None:
    error = error_in(tmp_path, an_exercise_file(steps=a_step("scale")))
    assert (error.field, error.problem) == ("steps[0].labels", "missing")


def test_a_label_without_english_names_its_place(tmp_path: Path) -> None:
    settings = 'labels = [{ de = "ja", en = "yes" }, { de = "nein" }]'
    error = error_in(tmp_path, an_exercise_file(steps=a_step("scale", settings)))
    assert error.field == "steps[0].labels[1]"


@pytest.mark.parametrize(
    "settings",
    [
        f'options = {LABELS}\noptions_from = "clusters"',
        "budget = 2",  # neither
    ],
)
def test_dots_take_either_options_or_the_clusters(tmp_path: Path, settings: str) -> None:
    error = error_in(tmp_path, an_exercise_file(steps=a_step("dots", settings)))
    assert error.field == "steps[0].options"
    assert error.problem == 'give either options or options_from = "clusters" or "topics"'


@pytest.mark.parametrize(
    "steps, field, problem",
    [
        (a_step("cards", 'hidden = "yes"'), "steps[0].hidden", "expected true or false"),
        (
            a_step("dots", f'options = {LABELS}\nbudget = "3"'),
            "steps[0].budget",
            "expected a whole number from 1 to 50",
        ),
        (
            a_step("dots", f"options = {LABELS}\nmax_per_option = 0"),
            "steps[0].max_per_option",
            "expected a whole number from 1 to 50",
        ),
        (
            a_step("pairs", "round_minutes = true"),
            "steps[0].round_minutes",
            "expected a whole number from 1 to 30",
        ),
        (
            a_step("dots", 'options_from = "cards"'),
            "steps[0].options_from",
            "expected one of clusters, topics",
        ),
        (
            a_step("mood", 'options = [{ icon = "hail", label = { de = "H", en = "H" } }] '),
            "steps[0].options",
            "expected a list of 2 to 7 entries",
        ),
        (
            a_step(
                "mood",
                'options = [{ icon = "hail", label = { de = "H", en = "H" } },'
                ' { icon = "sun", label = { de = "S", en = "S" } }]',
            ),
            "steps[0].options[0].icon",
            "expected one of sun, sun-cloud, cloud, rain, storm",
        ),
        (
            a_step("cards", 'colours = [{ colour = "purple", label = { de = "L", en = "L" } }]'),
            "steps[0].colours[0].colour",
            "expected one of yellow, white, orange, green, blue, pink",
        ),
        (
            a_step("cards", "prompt = 3", prompt=""),
            "steps[0].prompt",
            'expected German and English text: { de = "…", en = "…" }',
        ),
        ('steps = "cards"', "steps", "expected a list of 1 to 12 entries"),
    ],
)
def test_a_value_of_the_wrong_type(tmp_path: Path, steps: str, field: str, problem: str) -> None:
    error = error_in(tmp_path, an_exercise_file(steps=steps))
    assert error.path.name == "mine.toml"
    assert (error.field, error.problem) == (field, problem)
    assert str(error) == f"mine.toml: {field}: {error.problem}"


def test_a_title_that_is_only_german_text(tmp_path: Path) -> None:
    body = 'key = "uebung"\ntitle = "Übung"\n' + CARDS_STEP
    error = error_in(tmp_path, body)
    assert error.field == "title"
    assert "German and English" in error.problem


@pytest.mark.parametrize("key", ["Kunde-König", "kunde koenig", "-kunde", "", "k" * 42])
def test_a_key_that_cannot_be_part_of_an_address(tmp_path: Path, key: str) -> None:
    error = error_in(tmp_path, an_exercise_file(key=key))
    assert error.field == "key"
    assert "lower-case letters, digits and dashes" in error.problem


def test_a_key_with_a_line_break_at_the_end_is_refused(tmp_path: Path) -> None:
    error = error_in(tmp_path, an_exercise_file(key="kunde\\n"))
    assert error.field == "key"


def test_a_file_without_a_key_or_steps(tmp_path: Path) -> None:
    body = 'title = { de = "Übung", en = "Exercise" }\n'
    assert error_in(tmp_path, body).field == "key"
    assert error_in(tmp_path, 'key = "x"\n' + body).field == "steps"


@pytest.mark.parametrize(
    "settings",
    [
        f'options = {LABELS}\nexplanations = [{{ de = "Nur eine", en = "Just one" }}]',
        f'options_from = "clusters"\nexplanations = {LABELS}',
    ],
)
def test_dots_explain_each_option_or_none(tmp_path: Path, settings: str) -> None:
    error = error_in(tmp_path, an_exercise_file(steps=a_step("dots", settings)))
    assert error.field == "steps[0].explanations"
    assert error.problem in (
        "expected one explanation per option",
        "expected a list of 2 to 30 texts",
    )


def test_dots_with_an_explanation_per_option(tmp_path: Path) -> None:
    settings = f"options = {LABELS}\nexplanations = {LABELS}"
    exercise = load_file(
        write(tmp_path, "d.toml", an_exercise_file(steps=a_step("dots", settings)))
    )
    assert [e["de"] for e in exercise.steps[0].config["explanations"]] == [
        "trifft zu",
        "trifft nicht zu",
    ]


# -- folders --------------------------------------------------------------------------


def test_a_broken_file_never_stops_the_others(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", an_exercise_file("erste"))
    write(tmp_path, "b.toml", "key = ")
    write(tmp_path, "c.toml", an_exercise_file("dritte"))
    write(tmp_path, "d.toml", an_exercise_file("vierte", a_step("scale")))
    write(tmp_path, "notes.txt", "not an exercise")

    library = load_library(tmp_path)
    assert sorted(library.exercises) == ["dritte", "erste"]
    assert [(e.path.name, e.field) for e in library.errors] == [
        ("b.toml", "(file)"),
        ("d.toml", "steps[0].labels"),
    ]


def test_a_trainers_exercise_replaces_the_builtin_with_the_same_key(tmp_path: Path) -> None:
    write(
        tmp_path, "speed.toml", an_exercise_file("speedmeet", a_step("pairs", "round_minutes = 6"))
    )
    library = load_library(BUILTIN_DIR, tmp_path)

    assert library.errors == []
    assert sorted(library.exercises) == sorted(BUILTIN_KINDS)
    mine = library.get("speedmeet")
    assert mine is not None
    assert mine.path == tmp_path / "speed.toml"
    assert mine.steps[0].config["round_minutes"] == 6


def test_a_trainers_new_exercise_comes_in_beside_the_builtins(tmp_path: Path) -> None:
    write(tmp_path, "x.toml", an_exercise_file("retro"))
    library = load_library(BUILTIN_DIR, tmp_path)
    assert set(library.exercises) == set(BUILTIN_KINDS) | {"retro"}


def test_the_same_key_twice_in_one_folder_is_reported_and_the_first_file_kept(
    tmp_path: Path,
) -> None:
    write(tmp_path, "a.toml", an_exercise_file("retro"))
    write(tmp_path, "b.toml", an_exercise_file("retro", a_step("actions")))

    library = load_library(tmp_path)
    [error] = library.errors
    assert (error.path.name, error.field, error.problem) == (
        "b.toml",
        "key",
        "already used by a.toml",
    )
    kept = library.get("retro")
    assert kept is not None and kept.path.name == "a.toml"


def test_a_missing_folder_is_no_error(tmp_path: Path) -> None:
    library = load_library(None, tmp_path / "nowhere")
    assert (library.exercises, library.errors) == ({}, [])
    assert library.get("speedmeet") is None


# -- single steps and planned minutes (the start page) ---------------------------------
def test_every_kind_that_can_stand_alone_is_a_single_step_with_both_languages() -> None:
    from board import kinds
    from board.exercises import single_step, single_steps

    offered = {step.key: step for step in single_steps()}
    assert set(offered) == {
        f"step:{name}" for name, kind in kinds.REGISTRY.items() if kind.alone is not None
    }
    assert {"step:cards", "step:scale", "step:mood", "step:dots"} <= set(offered)
    assert single_step("grid") is None and single_step("whiteboard") is None
    for step in offered.values():
        [spec] = step.steps
        assert set(spec.config["prompt"]) == {"de", "en"} and step.single
    scale = offered["step:scale"].steps[0].config
    labels = [label["de"] for label in scale["labels"]]
    assert (labels[0], labels[-1]) == ("trifft voll zu", "trifft gar nicht zu")
    # The library hands them out by key, next to the exercise files.
    assert load_library(BUILTIN_DIR).get("step:mood") == offered["step:mood"]


def test_an_exercise_plans_the_minutes_of_its_steps() -> None:
    # Rules of thumb: a card query 20 minutes, a scale 5, dots 10, a grid 15.
    assert builtin("kunde-koenig").minutes == 5 + 20 + 5 + 20
    assert builtin("kundenbegeisterung").minutes == 20 + 10
    assert builtin("ok-corral").minutes == 15 + 20
