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
    "cannot_hide": {
        "de": "Die Ergebnisse dieses Schritts lassen sich nicht verdecken.",
        "en": "The results of this step cannot be hidden.",
    },
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
        "de": "Zu diesem Code gibt es keinen Workshop, und aus diesem Netz kamen zu viele "
        "falsche Codes. Bitte prüfen Sie den Code und versuchen Sie es in {seconds} Sekunden "
        "wieder.",
        "en": "There is no workshop with this code, and too many wrong codes came from this "
        "network. Please check the code and try again in {seconds} seconds.",
    },
    "workshops_limited": {
        "de": "Von dieser Adresse wurden gerade sehr viele Workshops angelegt. Bitte versuchen "
        "Sie es in {seconds} Sekunden noch einmal – Ihre Eingaben stehen noch im Formular.",
        "en": "Very many workshops were just created from this address. Please try again in "
        "{seconds} seconds – what you typed is still in the form.",
    },
    "imports_limited": {
        "de": "Von dieser Adresse wurden gerade sehr viele Protokolle importiert. Bitte "
        "versuchen Sie es in {seconds} Sekunden noch einmal.",
        "en": "Very many protocols were just imported from this address. Please try again in "
        "{seconds} seconds.",
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
    "server_error": {
        "de": "Etwas ist schiefgegangen. Bitte versuchen Sie es gleich noch einmal.",
        "en": "Something went wrong. Please try again in a moment.",
    },
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
    "save_conflict": {
        "de": "Konnte nicht gespeichert werden: das widerspricht einem vorhandenen Eintrag.",
        "en": "Could not be saved: it conflicts with something already stored.",
    },
    "not_found": {"de": "Diese Seite gibt es nicht.", "en": "This page does not exist."},
    "step_not_active": {
        "de": "Dieser Schritt ist nicht mehr dran – die Seite zeigt jetzt den aktuellen.",
        "en": "This step is no longer on – the page now shows the current one.",
    },
    "wrong_kind": {
        "de": "Das passt nicht zu diesem Schritt.",
        "en": "That does not fit this step.",
    },
    "voting_closed": {
        "de": "Dieser Schritt ist geschlossen – Ihre Eingabe wurde nicht gespeichert.",
        "en": "This step is closed – your input was not saved.",
    },
    "scale_out_of_range": {
        "de": "Diesen Punkt gibt es auf der Skala nicht.",
        "en": "There is no such point on the scale.",
    },
    "situation_unknown": {
        "de": "Diese Situation gibt es nicht.",
        "en": "There is no such situation.",
    },
    "point_outside": {
        "de": "Der Punkt liegt außerhalb des Feldes.",
        "en": "The point lies outside the field.",
    },
    "budget_out_of_range": {
        "de": "Die Punktzahl muss zwischen 1 und 50 liegen.",
        "en": "The number of dots must be between 1 and 50.",
    },
    "option_unknown": {
        "de": "Diese Option gibt es nicht (mehr).",
        "en": "This option does not exist (any more).",
    },
    "no_dots_left": {
        "de": "Alle Ihre Punkte sind verteilt. Nehmen Sie erst einen zurück.",
        "en": "All your dots are spent. Take one back first.",
    },
    "option_full": {
        "de": "Höchstens {max} Punkte pro Option.",
        "en": "At most {max} dots per option.",
    },
    "no_dot_to_take_back": {
        "de": "Hier liegt kein Punkt von Ihnen.",
        "en": "You have no dot here.",
    },
    "mood_unknown": {"de": "Dieses Wetter gibt es nicht.", "en": "There is no such weather."},
    "word_too_long": {
        "de": "Ein Wort, bitte: höchstens {max} Zeichen.",
        "en": "One word, please: at most {max} characters.",
    },
    "what_empty": {
        "de": "Bitte beschreiben Sie die Maßnahme.",
        "en": "Please describe the action.",
    },
    "what_too_long": {
        "de": "Die Maßnahme ist zu lang: höchstens {max} Zeichen.",
        "en": "The action is too long: at most {max} characters.",
    },
    "who_too_long": {
        "de": "„Wer“ ist zu lang: höchstens {max} Zeichen.",
        "en": "“Who” is too long: at most {max} characters.",
    },
    "due_too_long": {
        "de": "„Bis wann“ ist zu lang: höchstens {max} Zeichen.",
        "en": "“By when” is too long: at most {max} characters.",
    },
    "action_not_found": {
        "de": "Diese Maßnahme gibt es nicht (mehr).",
        "en": "This action does not exist (any more).",
    },
    "nickname_needed": {
        "de": "Bitte geben Sie einen Spitznamen ein, damit Ihr Gegenüber Sie findet.",
        "en": "Please enter a nickname so your partner can find you.",
    },
    "nickname_taken": {
        "de": "Diesen Spitznamen hat schon jemand. Bitte wählen Sie einen anderen.",
        "en": "Someone already has this nickname. Please choose another.",
    },
    "too_few_people": {
        "de": "Für ein SpeedMeet braucht es mindestens zwei Personen.",
        "en": "A SpeedMeet needs at least two people.",
    },
    "already_started": {
        "de": "Das SpeedMeet läuft schon.",
        "en": "The SpeedMeet is already running.",
    },
    "timing_out_of_range": {
        "de": "Runden von 1 bis 30 Minuten, Wechsel von 0 bis 300 Sekunden.",
        "en": "Rounds of 1 to 30 minutes, change-overs of 0 to 300 seconds.",
    },
    "agenda_full": {
        "de": "Die Agenda ist voll: höchstens {max} Schritte.",
        "en": "The agenda is full: at most {max} steps.",
    },
    "last_step": {
        "de": "Der letzte Schritt der Agenda bleibt.",
        "en": "The last step of the agenda stays.",
    },
    "no_more_steps": {"de": "Hier endet die Agenda.", "en": "The agenda ends here."},
    "timer_out_of_range": {
        "de": "Der Timer läuft 1 Sekunde bis {max} Minuten.",
        "en": "The timer runs from 1 second to {max} minutes.",
    },
    "exercise_unknown": {
        "de": "Die Übung „{name}“ gibt es nicht.",
        "en": "There is no exercise “{name}”.",
    },
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
    "not_sent": {"de": "nicht gesendet", "en": "not sent"},
    "not_sent_reason": {
        "de": "Der Server hat die Karte abgelehnt.",
        "en": "The server refused the card.",
    },
    "dismiss": {"de": "Verwerfen", "en": "Dismiss"},
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
    "new_trainer_link": {"de": "Neuen Trainer-Link erzeugen", "en": "Issue a new trainer link"},
    "confirm_new_trainer_link": {
        "de": "Neuen Trainer-Link erzeugen – alte Links funktionieren dann nicht mehr.",
        "en": "Issue a new trainer link – old links will stop working.",
    },
    "workshop_ended": {
        "de": "Dieser Workshop ist beendet.",
        "en": "This workshop has ended.",
    },
    "workshop_ended_text": {
        "de": "Er wurde gelöscht. Danke fürs Mitmachen!",
        "en": "It has been deleted. Thank you for taking part!",
    },
    "trainer_link_revoked": {
        "de": "Es gibt einen neuen Trainer-Link: Dieser hier funktioniert nicht mehr.",
        "en": "A new trainer link was issued: this one no longer works.",
    },
    "board_link": {"de": "Wand für den Beamer", "en": "Board for the projector"},
    "join_link": {"de": "Link für die Teilnehmenden", "en": "Link for participants"},
    "unreachable": {
        "de": "Telefone erreichen diese Adresse nicht:",
        "en": "Phones cannot reach this address:",
    },
    "reach_fix_host": {
        "de": "Das Board hört nur auf diesen Rechner. Starten Sie es mit --host 0.0.0.0 (oder setzen Sie BOARD_PUBLIC_URL auf die Adresse, unter der Telefone es erreichen).",
        "en": "The board listens on this computer only. Start it with --host 0.0.0.0 (or set BOARD_PUBLIC_URL to the address phones reach it at).",
    },
    "reach_fix_network": {
        "de": "Dieser Rechner hat keine Adresse im Netz des Raums. Verbinden Sie ihn mit dem WLAN der Teilnehmenden und starten Sie das Board neu (oder setzen Sie BOARD_PUBLIC_URL).",
        "en": "This computer has no address in the room's network. Connect it to the participants' Wi-Fi and restart the board (or set BOARD_PUBLIC_URL).",
    },
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
    "add_to_agenda": {"de": "Zur Agenda hinzufügen", "en": "Add to the agenda"},
    "add_exercise": {"de": "Übung hinzufügen", "en": "Add an exercise"},
    "agenda": {"de": "Agenda", "en": "Agenda"},
    "agenda_hint": {
        "de": "Wählen Sie Übungen für die Agenda (später im Moderationsbereich änderbar). Ohne Auswahl beginnt der Workshop mit einer Kartenabfrage.",
        "en": "Pick exercises for the agenda (you can change it later in the console). Without any, the workshop starts with a card collection.",
    },
    "question_hint": {
        "de": "für die erste Kartenabfrage, wenn keine Übung gewählt ist",
        "en": "for the first card collection when no exercise is picked",
    },
    "change_tables": {"de": "Tisch wechseln!", "en": "Change tables!"},
    "changeover_seconds": {"de": "Wechselzeit (Sekunden)", "en": "Change-over (seconds)"},
    "changeover_to": {
        "de": "Wechsel zu Runde {round} von {rounds}",
        "en": "Change to round {round} of {rounds}",
    },
    "confirm_delete_action": {"de": "Diese Maßnahme löschen?", "en": "Delete this action?"},
    "confirm_pairs_reset": {
        "de": "SpeedMeet abbrechen und neu planen?",
        "en": "Stop the SpeedMeet and plan anew?",
    },
    "confirm_remove_step": {
        "de": "Diesen Schritt mit allen Karten und Stimmen löschen?",
        "en": "Remove this step with all its cards and votes?",
    },
    "dots": {"de": "Punkte", "en": "dots"},
    "dots_default_hint": {
        "de": "Faustregel: ein Drittel der {n} Optionen",
        "en": "Rule of thumb: a third of the {n} options",
    },
    "dots_each": {"de": "Punkte pro Person", "en": "dots each"},
    "dots_hidden": {"de": "Punkte verdeckt", "en": "dots hidden"},
    "dots_left": {"de": "Noch {left} von {budget} Punkten", "en": "{left} of {budget} dots left"},
    "dots_per_person": {"de": "Punkte pro Person", "en": "Dots per person"},
    "due": {"de": "Bis wann", "en": "By when"},
    "due_placeholder": {"de": "z. B. Ende März", "en": "e.g. end of March"},
    "grid_hint": {
        "de": "Tippen Sie in jedes Feld; erneutes Tippen verschiebt Ihren Punkt.",
        "en": "Tap into each field; tapping again moves your dot.",
    },
    "hide_results": {"de": "Ergebnis verdeckt", "en": "Hide results"},
    "kind_cards": {"de": "Kartenabfrage", "en": "Card collection"},
    "kind_scale": {"de": "Ein-Punkt-Abfrage", "en": "One-dot scale"},
    "kind_grid": {"de": "Koordinatenabfrage", "en": "Grid"},
    "kind_dots": {"de": "Mehr-Punkt-Abfrage", "en": "Dot voting"},
    "kind_mood": {"de": "Stimmungsbarometer", "en": "Mood barometer"},
    "kind_pairs": {"de": "SpeedMeet", "en": "SpeedMeet"},
    "kind_actions": {"de": "Maßnahmenplan", "en": "Action plan"},
    "max_per_option": {"de": "höchstens {max} pro Option", "en": "at most {max} per option"},
    "mean": {"de": "Mittelwert", "en": "Mean"},
    "median": {"de": "Median", "en": "Median"},
    "meet_at": {"de": "Treffen Sie {name} an Tisch {table}", "en": "Meet {name} at table {table}"},
    "minutes": {"de": "Minuten", "en": "minutes"},
    "move_down": {"de": "Nach unten", "en": "Move down"},
    "move_up": {"de": "Nach oben", "en": "Move up"},
    "my_proposals": {"de": "Meine Vorschläge", "en": "My proposals"},
    "next_step": {"de": "Weiter", "en": "Next"},
    "previous_step": {"de": "Zurück", "en": "Back"},
    "no_actions_yet": {"de": "Noch keine Maßnahmen.", "en": "No actions yet."},
    "no_options_yet": {
        "de": "Noch keine Optionen: Es gibt noch keine Cluster in der Kartenabfrage davor.",
        "en": "No options yet: the card collection before this has no clusters yet.",
    },
    "on_break": {"de": "Pause", "en": "On a break"},
    "one_word": {"de": "Ein Wort dazu (freiwillig)", "en": "One word about it (optional)"},
    "option": {"de": "Option", "en": "Option"},
    "pairs_finished": {
        "de": "Geschafft: alle {rounds} Runden sind gespielt.",
        "en": "Done: all {rounds} rounds are over.",
    },
    "pairs_join": {"de": "Ich bin dabei", "en": "Count me in"},
    "pairs_joined": {"de": "dabei", "en": "in"},
    "pairs_leave": {"de": "Ich muss gehen", "en": "I have to leave"},
    "pairs_nickname": {
        "de": "Ihr Name für das SpeedMeet (so findet Ihr Gegenüber Sie)",
        "en": "Your name for the SpeedMeet (so your partner finds you)",
    },
    "pairs_reset": {"de": "Abbrechen", "en": "Stop"},
    "pairs_start": {"de": "SpeedMeet starten ({n} dabei)", "en": "Start the SpeedMeet ({n} in)"},
    "pairs_waiting": {"de": "Warten auf den Start …", "en": "Waiting for the start …"},
    "pairs_you_are_in": {"de": "Sie sind dabei als {name}.", "en": "You are in as {name}."},
    "place_dot": {"de": "Punkt setzen", "en": "Place a dot"},
    "propose": {"de": "Vorschlagen", "en": "Propose"},
    "quadrant_top_right": {"de": "oben rechts (+/+)", "en": "top right (+/+)"},
    "quadrant_bottom_right": {"de": "unten rechts (+/−)", "en": "bottom right (+/−)"},
    "quadrant_top_left": {"de": "oben links (−/+)", "en": "top left (−/+)"},
    "quadrant_bottom_left": {"de": "unten links (−/−)", "en": "bottom left (−/−)"},
    "rank": {"de": "Rang", "en": "Rank"},
    "remove_step": {"de": "Schritt entfernen", "en": "Remove step"},
    "results_hidden_note": {
        "de": "Das Ergebnis bleibt verdeckt, bis die Moderation es aufdeckt.",
        "en": "The result stays hidden until the facilitator reveals it.",
    },
    "round_minutes": {"de": "Runde (Minuten)", "en": "Round (minutes)"},
    "round_of": {"de": "Runde {round} von {rounds}", "en": "Round {round} of {rounds}"},
    "show_results": {"de": "Ergebnis ansehen", "en": "View the result"},
    "table": {"de": "Tisch", "en": "Table"},
    "take_back_dot": {"de": "Punkt zurücknehmen", "en": "Take a dot back"},
    "themenspeicher": {"de": "Themenspeicher", "en": "Topic ranking"},
    "time_is_up": {"de": "Zeit ist um!", "en": "Time is up!"},
    "timer": {"de": "Timer", "en": "Timer"},
    "timer_start": {"de": "Starten", "en": "Start"},
    "timer_stop": {"de": "Stoppen", "en": "Stop"},
    "vote_move_hint": {"de": "Sie können ihn noch verschieben.", "en": "You can still move it."},
    "vote_saved": {"de": "gespeichert", "en": "saved"},
    "voters": {"de": "Teilnehmende", "en": "participants"},
    "voters_hidden": {"de": "haben gepunktet – verdeckt", "en": "have voted – hidden"},
    "votes_hidden": {"de": "Punkte gesetzt – verdeckt", "en": "dots placed – hidden"},
    "voting_closed_note": {
        "de": "Dieser Schritt ist geschlossen. Danke!",
        "en": "This step is closed. Thank you!",
    },
    "what": {"de": "Was", "en": "What"},
    "who": {"de": "Wer", "en": "Who"},
    "you_have_a_break": {
        "de": "Diese Runde haben Sie Pause.",
        "en": "You have a break this round.",
    },
    "protocol": {"de": "Protokoll", "en": "Protocol"},
    "protocol_footer": {
        "de": "Erstellt mit der Moderationswand. Teilnehmende sind anonym, wenn nicht anders vermerkt.",
        "en": "Made with the moderation board. Participants are anonymous unless noted otherwise.",
    },
    "date": {"de": "Datum", "en": "Date"},
    "participants_count": {"de": "Teilnehmende", "en": "participants"},
    "count": {"de": "Anzahl", "en": "Count"},
    "situation": {"de": "Situation", "en": "Situation"},
    "words": {"de": "Worte", "en": "Words"},
    "rounds_held": {"de": "Runden gespielt", "en": "Rounds held"},
    "pairs_met": {"de": "Paare haben sich getroffen", "en": "Pairs met"},
    "round": {"de": "Runde", "en": "Round"},
    "pairs": {"de": "Paare", "en": "Pairs"},
    "pdf_unavailable": {
        "de": "PDF ist auf diesem Rechner nicht verfügbar (Pango fehlt). HTML, Markdown, CSV und JSON gehen.",
        "en": "PDF is not available on this machine (Pango is missing). HTML, Markdown, CSV and JSON work.",
    },
    "import_invalid": {
        "de": "Import abgelehnt, nichts wurde angelegt: {problem}",
        "en": "Import refused, nothing was created: {problem}",
    },
    "import_not_json": {
        "de": "Diese Datei ist kein JSON-Protokoll der Moderationswand.",
        "en": "This file is not a moderation board JSON protocol.",
    },
    "import_title": {"de": "Protokoll importieren", "en": "Import a protocol"},
    "import_lead": {
        "de": "Ein JSON-Protokoll (auch von einer anderen Installation) wird als neuer Workshop angelegt – zum Weiterarbeiten oder Archivieren.",
        "en": "A JSON protocol (also from another installation) becomes a new workshop – to continue or to archive.",
    },
    "import_file": {"de": "JSON-Protokoll", "en": "JSON protocol"},
    "import": {"de": "Importieren", "en": "Import"},
    "export": {"de": "Protokoll", "en": "Protocol"},
    "export_names": {"de": "mit Spitznamen (SpeedMeet)", "en": "with nicknames (SpeedMeet)"},
    "delete_workshop": {"de": "Workshop löschen", "en": "Delete workshop"},
    "delete_title": {"de": "Workshop endgültig löschen?", "en": "Delete the workshop for good?"},
    "delete_lead": {
        "de": "Alle Karten, Stimmen und Teilnehmenden werden gelöscht. Das lässt sich nicht rückgängig machen. Letzte Gelegenheit für das Protokoll:",
        "en": "All cards, votes and participants are deleted. This cannot be undone. Last chance to export the protocol:",
    },
    "delete_confirm_label": {
        "de": "Zur Bestätigung den Code eingeben",
        "en": "Type the code to confirm",
    },
    "delete_confirm_wrong": {
        "de": "Der Code stimmt nicht – nichts wurde gelöscht.",
        "en": "The code does not match – nothing was deleted.",
    },
    "deleted": {"de": "Der Workshop wurde gelöscht.", "en": "The workshop was deleted."},
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


def decimal(value: float | None, lang: str, digits: int = 1) -> str:
    """A number as people write it: "2,5" in German, "2.5" in English, "3" for 3.0."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "de" else text


def text_in(texts: object, lang: str) -> str:
    """One language of a bilingual text from an exercise file (German as fallback)."""
    if isinstance(texts, dict):
        return str(texts.get(lang) or texts.get(DEFAULT) or "")
    return ""


def language_context(lang: str) -> dict[str, object]:
    """What every template needs to speak the user's language."""
    return {"lang": lang, "t": translator(lang), "tr": lambda texts: text_in(texts, lang)}


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    return t
