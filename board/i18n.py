"""German and English texts. German is the default.

The language comes from the ``lang`` cookie (set by the switch in every page),
else from the browser's Accept-Language, else German.
"""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("de", "en")
DEFAULT = "de"

MESSAGES: dict[str, dict[str, str]] = {
    # errors
    "card_empty": {"de": "Die Karte ist leer.", "en": "The card is empty."},
    "card_too_long": {
        "de": "Die Karte ist zu lang: höchstens {max} Zeichen.",
        "en": "The card is too long: at most {max} characters.",
    },
    "card_too_many_lines": {
        "de": "Eine Idee pro Karte: höchstens {max} Zeilen.",
        "en": "One idea per card: at most {max} lines.",
    },
    "colour_unknown": {
        "de": "Diese Kartenfarbe gibt es nicht.",
        "en": "There is no such card colour.",
    },
    "step_closed": {
        "de": "Die Kartenabfrage ist geschlossen – Ihre Karte wurde nicht gespeichert.",
        "en": "The card collection is closed – your card was not saved.",
    },
    "step_not_cards": {
        "de": "Gerade werden keine Karten gesammelt.",
        "en": "No cards are being collected right now.",
    },
    "step_not_found": {"de": "Diesen Schritt gibt es nicht.", "en": "There is no such step."},
    "card_not_found": {
        "de": "Diese Karte gibt es nicht (mehr).",
        "en": "This card does not exist (any more).",
    },
    "card_not_yours": {
        "de": "Sie können nur Ihre eigenen Karten ändern.",
        "en": "You can only change your own cards.",
    },
    "cluster_not_found": {
        "de": "Diesen Cluster gibt es nicht (mehr).",
        "en": "This cluster does not exist (any more).",
    },
    "heading_empty": {"de": "Die Überschrift ist leer.", "en": "The heading is empty."},
    "heading_too_long": {
        "de": "Die Überschrift ist zu lang: höchstens {max} Zeichen.",
        "en": "The heading is too long: at most {max} characters.",
    },
    "stack_onto_itself": {
        "de": "Eine Karte kann nicht auf sich selbst gestapelt werden.",
        "en": "A card cannot be stacked onto itself.",
    },
    "merge_into_itself": {
        "de": "Ein Cluster kann nicht mit sich selbst zusammengelegt werden.",
        "en": "A cluster cannot be merged into itself.",
    },
    "question_too_long": {
        "de": "Die Frage ist zu lang: höchstens {max} Zeichen.",
        "en": "The question is too long: at most {max} characters.",
    },
    "already_revealed": {
        "de": "Die Karten sind schon aufgedeckt.",
        "en": "The cards are already revealed.",
    },
    "nothing_hidden": {"de": "Es ist nichts verdeckt.", "en": "Nothing is hidden."},
    "title_empty": {"de": "Bitte geben Sie einen Titel ein.", "en": "Please enter a title."},
    "title_too_long": {
        "de": "Der Titel ist zu lang: höchstens {max} Zeichen.",
        "en": "The title is too long: at most {max} characters.",
    },
    "nickname_too_long": {
        "de": "Der Spitzname ist zu lang: höchstens {max} Zeichen.",
        "en": "The nickname is too long: at most {max} characters.",
    },
    "workshop_not_found": {
        "de": "Zu diesem Code gibt es keinen Workshop. Bitte prüfen Sie den Code.",
        "en": "There is no workshop with this code. Please check the code.",
    },
    "code_malformed": {
        "de": "Ein Code hat 6 Zeichen, z. B. K7M-4QX. Bitte prüfen Sie die Eingabe.",
        "en": "A code has 6 characters, e.g. K7M-4QX. Please check what you typed.",
    },
    "join_backoff": {
        "de": "Zu viele falsche Codes. Bitte warten Sie {seconds} Sekunden.",
        "en": "Too many wrong codes. Please wait {seconds} seconds.",
    },
    "not_joined": {
        "de": "Sie sind diesem Workshop noch nicht beigetreten.",
        "en": "You have not joined this workshop yet.",
    },
    "trainer_only": {
        "de": "Das darf nur die Trainerin oder der Trainer.",
        "en": "Only the trainer may do this.",
    },
    "rate_limited": {
        "de": "Langsamer bitte – zu viele Eingaben in kurzer Zeit. Versuchen Sie es gleich noch einmal.",
        "en": "Slow down please – too many inputs in a short time. Try again in a moment.",
    },
    "body_too_large": {"de": "Die Anfrage ist zu groß.", "en": "The request is too large."},
    "bad_request": {
        "de": "Die Anfrage ist unvollständig oder fehlerhaft.",
        "en": "The request is incomplete or malformed.",
    },
    "foreign_origin": {
        "de": "Anfrage von einer fremden Seite abgelehnt.",
        "en": "Request from a foreign site refused.",
    },
    "message_malformed": {"de": "Unverständliche Nachricht.", "en": "Malformed message."},
    "could_not_save": {
        "de": "Konnte nicht speichern – bitte gleich noch einmal versuchen.",
        "en": "Could not save – please try again in a moment.",
    },
    "not_found": {"de": "Diese Seite gibt es nicht.", "en": "This page does not exist."},
    # pages
    "app_name": {"de": "Moderationswand", "en": "Moderation board"},
    "start_title": {"de": "Neuen Workshop anlegen", "en": "Create a workshop"},
    "start_lead": {
        "de": "Legen Sie einen Workshop an. Sie bekommen einen Trainer-Link (gut aufheben!), die Wand für den Beamer und einen Code für die Teilnehmenden.",
        "en": "Create a workshop. You get a trainer link (keep it safe!), the board for the projector and a code for the participants.",
    },
    "title_label": {"de": "Titel des Workshops", "en": "Workshop title"},
    "create": {"de": "Workshop anlegen", "en": "Create workshop"},
    "join_title": {"de": "Workshop beitreten", "en": "Join a workshop"},
    "join_code_label": {"de": "Code von der Wand", "en": "Code from the board"},
    "nickname_label": {"de": "Spitzname (freiwillig)", "en": "Nickname (optional)"},
    "nickname_hint": {
        "de": "Ohne Spitzname bleiben Sie anonym.",
        "en": "Without a nickname you stay anonymous.",
    },
    "join": {"de": "Beitreten", "en": "Join"},
    "join_at": {"de": "Mitmachen unter", "en": "Join at"},
    "code": {"de": "Code", "en": "Code"},
    "people": {"de": "verbunden", "en": "connected"},
    "default_question": {"de": "Ihre Ideen – eine pro Karte", "en": "Your ideas – one per card"},
    "your_card": {"de": "Ihre Karte", "en": "Your card"},
    "card_placeholder": {"de": "Eine Idee pro Karte …", "en": "One idea per card …"},
    "colour": {"de": "Farbe", "en": "Colour"},
    "colour_yellow": {"de": "Gelb", "en": "Yellow"},
    "colour_white": {"de": "Weiß", "en": "White"},
    "colour_orange": {"de": "Orange", "en": "Orange"},
    "colour_green": {"de": "Grün", "en": "Green"},
    "colour_blue": {"de": "Blau", "en": "Blue"},
    "colour_pink": {"de": "Rosa", "en": "Pink"},
    "characters": {"de": "Zeichen", "en": "characters"},
    "move_to": {"de": "Verschieben nach", "en": "Move to"},
    "move": {"de": "Verschieben", "en": "Move"},
    "selected_card": {"de": "Ausgewählte Karte", "en": "Selected card"},
    "selected_cluster": {"de": "Ausgewählter Cluster", "en": "Selected cluster"},
    "stacked_here": {"de": "Darunter gestapelt", "en": "Stacked underneath"},
    "tools_hint": {
        "de": "Karte anklicken oder mit Tab ansteuern und Enter drücken, um sie zu bearbeiten oder zu verschieben. Karten lassen sich auch ziehen.",
        "en": "Click a card, or Tab to it and press Enter, to edit or move it. Cards can also be dragged.",
    },
    "links": {"de": "Links & QR-Code", "en": "Links & QR code"},
    "connected_phones": {"de": "Verbunden", "en": "Connected"},
    "joined_total": {"de": "beigetreten", "en": "joined"},
    "set_nickname": {"de": "Spitzname setzen", "en": "Set nickname"},
    "you_are": {"de": "Sie sind", "en": "You are"},
    "anonymous": {"de": "anonym", "en": "anonymous"},
    "go_start": {"de": "Zur Startseite", "en": "To the start page"},
    "or_scan": {"de": "oder QR-Code scannen", "en": "or scan the QR code"},
    "send": {"de": "Senden", "en": "Send"},
    "save": {"de": "Speichern", "en": "Save"},
    "cancel": {"de": "Abbrechen", "en": "Cancel"},
    "edit": {"de": "Ändern", "en": "Edit"},
    "delete": {"de": "Löschen", "en": "Delete"},
    "my_cards": {"de": "Meine Karten", "en": "My cards"},
    "no_cards_yet": {"de": "Noch keine Karten.", "en": "No cards yet."},
    "sent": {"de": "gesendet", "en": "sent"},
    "pending": {"de": "wartet auf Verbindung", "en": "waiting for connection"},
    "sending": {"de": "wird gesendet …", "en": "sending …"},
    "edited": {"de": "bearbeitet", "en": "edited"},
    "step_closed_note": {
        "de": "Die Kartenabfrage ist geschlossen. Danke!",
        "en": "The card collection is closed. Thank you!",
    },
    "hidden_note": {
        "de": "Die Karten sind verdeckt, bis die Moderation sie aufdeckt.",
        "en": "Cards stay hidden until the facilitator reveals them.",
    },
    "cards_hidden_count": {"de": "Karten verdeckt", "en": "cards hidden"},
    "cards_count": {"de": "Karten", "en": "cards"},
    "show_wall": {"de": "Wand ansehen", "en": "View the wall"},
    "back_to_my_cards": {"de": "Zurück zu meinen Karten", "en": "Back to my cards"},
    "unsorted": {"de": "Unsortiert", "en": "Unsorted"},
    "online": {"de": "verbunden", "en": "connected"},
    "offline": {
        "de": "Verbindung unterbrochen – wird wiederhergestellt …",
        "en": "Connection lost – reconnecting …",
    },
    "console": {"de": "Moderation", "en": "Console"},
    "board": {"de": "Wand", "en": "Board"},
    "trainer_link": {
        "de": "Ihr Trainer-Link (geheim halten, gut aufheben)",
        "en": "Your trainer link (keep it secret and safe)",
    },
    "board_link": {"de": "Wand für den Beamer", "en": "Board for the projector"},
    "join_link": {"de": "Link für die Teilnehmenden", "en": "Link for participants"},
    "question": {"de": "Frage", "en": "Question"},
    "set_question": {"de": "Frage setzen", "en": "Set question"},
    "step_open": {"de": "Offen", "en": "Open"},
    "step_closed_label": {"de": "Geschlossen", "en": "Closed"},
    "open_step": {"de": "Öffnen", "en": "Open"},
    "close_step": {"de": "Schließen", "en": "Close"},
    "hide_until_reveal": {"de": "Verdeckt sammeln", "en": "Collect hidden"},
    "show_live": {"de": "Offen sammeln", "en": "Collect openly"},
    "reveal": {"de": "Aufdecken", "en": "Reveal"},
    "revealed": {"de": "aufgedeckt", "en": "revealed"},
    "hidden": {"de": "verdeckt", "en": "hidden"},
    "new_cluster": {"de": "Neuer Cluster", "en": "New cluster"},
    "heading_placeholder": {"de": "Überschrift …", "en": "Heading …"},
    "add": {"de": "Anlegen", "en": "Add"},
    "rename": {"de": "Umbenennen", "en": "Rename"},
    "dissolve": {"de": "Auflösen", "en": "Dissolve"},
    "merge_into": {"de": "Zusammenlegen mit …", "en": "Merge into …"},
    "merge": {"de": "Zusammenlegen", "en": "Merge"},
    "move_left": {"de": "Nach links", "en": "Move left"},
    "move_right": {"de": "Nach rechts", "en": "Move right"},
    "move_here": {"de": "Hierher", "en": "Move here"},
    "select_card": {"de": "Karte auswählen", "en": "Select card"},
    "selected_hint": {
        "de": "Karte ausgewählt – jetzt mit „Hierher“ einen Cluster wählen (Esc bricht ab).",
        "en": "Card selected – now choose a cluster with “Move here” (Esc cancels).",
    },
    "fix_wording": {"de": "Wortlaut korrigieren", "en": "Fix wording"},
    "stack_onto": {"de": "Stapeln auf …", "en": "Stack onto …"},
    "stack": {"de": "Stapeln", "en": "Stack"},
    "unstack": {"de": "Vom Stapel nehmen", "en": "Unstack"},
    "review": {"de": "Karten prüfen", "en": "Review cards"},
    "cards_in_review": {
        "de": "Vor dem Aufdecken: Wortlaut korrigieren, Doppelte stapeln.",
        "en": "Before revealing: fix wording, stack duplicates.",
    },
    "language": {"de": "Sprache", "en": "Language"},
    "seq": {"de": "Stand", "en": "Version"},
    "write_card_first": {"de": "Schreiben Sie Ihre erste Karte.", "en": "Write your first card."},
    "forbidden_title": {"de": "Kein Zugang", "en": "No access"},
    "open_console_hint": {
        "de": "Öffnen Sie die Moderation über Ihren Trainer-Link.",
        "en": "Open the console with your trainer link.",
    },
}


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if lang in LANGUAGES and q > 0 and q > best_q:  # q=0 means "not acceptable"
            best, best_q = lang, q
    return best


def translate(lang: str, key: str, **params: object) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT]
    return text.format(**params) if params else text


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    return t
