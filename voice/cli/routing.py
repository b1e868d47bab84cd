"""`voice routing`: routing rules and caller lists (docs/routing.md). Rules live in the database; `load`
replaces them all from a YAML file (config as code) and `export` writes them back; `explain` and `test`
show what the rules decide without storing anything."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from voice.cli.common import err, open_session

app = typer.Typer(
    help="Routing rules: which team and member a voicemail goes to (docs/routing.md).", no_args_is_help=True
)
lists_app = typer.Typer(help="Named caller lists (vip, ...) that rules test the caller against.")
app.add_typer(lists_app, name="lists")

# Optional, not X | None, as in the other commands' options.
Many = Optional[list[str]]  # noqa: UP045
OptStr = Optional[str]  # noqa: UP045
OptBool = Optional[bool]  # noqa: UP045
OptInt = Optional[int]  # noqa: UP045


def _region() -> str:
    """Where numbers written without a country code are (settings: summary.default_region)."""
    from voice.core.config import get_settings

    return get_settings().summary.default_region


def _refuse(exc: Exception) -> typer.Exit:
    err.print(f"error: {exc}", style="red", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _show(number: int, rule: dict[str, Any]) -> str:
    def shown(value: Any) -> str:
        if isinstance(value, list):
            return ",".join(map(shown, value))
        return (
            str(value).lower()
            if isinstance(value, bool)
            else f"{value:g}"
            if isinstance(value, float)
            else str(value)
        )

    def part(values: dict[str, Any]) -> str:
        return " ".join(f"{k}={shown(v)}" for k, v in values.items())

    flags = [
        f for f, on in (("continue", rule.get("continue")), ("disabled", rule.get("enabled") is False)) if on
    ]
    place = "default" if rule.get("default") else f"{number:>3}."
    when = part(rule.get("when", {})) or "always"
    then = part(rule.get("then", {})) or "nothing"
    extra = f"  [{', '.join(flags)}]" if flags else ""
    return f"{place:<8}{rule['name']:<20} when {when}  then {then}{extra}"


def _print_rules(session: Any) -> None:
    from voice.usecases import routing

    rules = [r.written() for r in routing.rule_specs(session)]
    for number, rule in enumerate(rules, start=1):
        print(_show(number, rule))
    if not rules:
        err.print("no routing rules: voicemails go to their mailbox's team (docs/routing.md)")


@app.command("list")
def routing_list(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The rules in the order they are tried (the default rule last)."""
    from voice.usecases import routing

    with open_session() as session:
        if as_json:
            print(json.dumps([r.written() for r in routing.rule_specs(session)], indent=2))
            return
        _print_rules(session)


def _only(values: list[str] | None) -> list[str] | None:
    return values or None


@app.command("add")
def routing_add(
    name: Annotated[str, typer.Argument(help="the rule's name, e.g. invoices")],
    intent: Annotated[Many, typer.Option(help="match these intents (repeat)")] = None,
    urgency: Annotated[Many, typer.Option(help="match these urgencies (repeat)")] = None,
    mailbox: Annotated[Many, typer.Option("--mailbox", "-m", help="match these mailboxes (repeat)")] = None,
    language: Annotated[Many, typer.Option(help="match these language codes (repeat)")] = None,
    spam: Annotated[OptBool, typer.Option("--spam/--not-spam", help="match spam, or not")] = None,
    caller: Annotated[Many, typer.Option(help="match these caller numbers (repeat)")] = None,
    caller_list: Annotated[Many, typer.Option("--list", help="match callers on this list (repeat)")] = None,
    hours: Annotated[OptStr, typer.Option(help="open | closed: inside or outside business hours")] = None,
    hours_team: Annotated[
        OptStr, typer.Option(help="whose business hours (default: the rule's team)")
    ] = None,
    team: Annotated[OptStr, typer.Option(help="route to this team")] = None,
    assign: Annotated[OptStr, typer.Option(help="round_robin | least_loaded")] = None,
    priority: Annotated[float, typer.Option(help="points added to the priority")] = 0.0,
    tag: Annotated[Many, typer.Option(help="tags to add (repeat)")] = None,
    notify: Annotated[Many, typer.Option(help="channel names, recorded in the decision (repeat)")] = None,
    then_continue: Annotated[bool, typer.Option("--continue", help="try the next rules too")] = False,
    default: Annotated[bool, typer.Option("--default", help="the rule that catches the rest")] = False,
    disabled: Annotated[bool, typer.Option("--disabled", help="add it switched off")] = False,
    position: Annotated[OptInt, typer.Option(min=1, help="1: tried first; default: last")] = None,
) -> None:
    """Add one rule: voice routing add invoices --intent billing --team billing --assign round_robin."""
    from voice.storage.routing import RoutingError
    from voice.usecases import routing

    when = {"intent": _only(intent), "urgency": _only(urgency), "mailbox": _only(mailbox),
            "language": _only(language), "spam": spam, "caller": _only(caller),
            "caller_list": _only(caller_list), "hours": hours, "hours_team": hours_team}  # fmt: skip
    then = {"team": team, "assign": assign, "priority": priority, "tags": tag or [], "notify": notify or []}
    body = {"name": name, "when": {k: v for k, v in when.items() if v is not None},
            "then": {k: v for k, v in then.items() if v is not None},
            "continue": then_continue, "default": default, "enabled": not disabled}  # fmt: skip
    with open_session() as session:
        try:
            routing.add_rule(session, body, position, _region())
        except RoutingError as exc:
            raise _refuse(exc) from None
        session.commit()
        err.print(f"added rule {name.strip().lower()!r}", markup=False)
        _print_rules(session)


def _change(name: str, what: str, change: Any) -> None:
    from voice.storage.routing import RoutingError

    with open_session() as session:
        try:
            change(session)
        except RoutingError as exc:
            raise _refuse(exc) from None
        session.commit()
        err.print(f"{what} rule {name!r}", markup=False)
        _print_rules(session)


@app.command("delete")
def routing_delete(name: Annotated[str, typer.Argument()]) -> None:
    """Delete one rule."""
    from voice.storage import routing as store

    _change(name, "deleted", lambda s: store.delete_rule(s, name))


@app.command("move")
def routing_move(
    name: Annotated[str, typer.Argument()],
    position: Annotated[int, typer.Argument(min=1, help="1: tried first")],
) -> None:
    """Move a rule to a place in the order."""
    from voice.storage import routing as store

    _change(name, "moved", lambda s: store.move_rule(s, name, position))


@app.command("enable")
def routing_enable(name: Annotated[str, typer.Argument()]) -> None:
    """Switch a rule on."""
    from voice.storage import routing as store

    _change(name, "enabled", lambda s: store.set_enabled(s, name, True))


@app.command("disable")
def routing_disable(name: Annotated[str, typer.Argument()]) -> None:
    """Switch a rule off (it stays in its place)."""
    from voice.storage import routing as store

    _change(name, "disabled", lambda s: store.set_enabled(s, name, False))


@app.command("load")
def routing_load(file: Annotated[Path, typer.Argument(help="a YAML file with a 'rules' list")]) -> None:
    """Replace every rule with the file's, at once (config as code); a file with any problem changes
    nothing, and every problem is listed (exit 2)."""
    from voice.storage.routing import RoutingError
    from voice.usecases import routing

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _refuse(exc) from None
    with open_session() as session:
        try:
            rules = routing.load_yaml(session, text, _region())
        except RoutingError as exc:
            raise _refuse(ValueError(f"{file}: nothing changed:\n{exc}")) from None
        session.commit()
        err.print(f"loaded {len(rules)} rules from {file}", markup=False)
        _print_rules(session)


@app.command("export")
def routing_export() -> None:
    """The rules as YAML, as `voice routing load` reads them."""
    from voice.usecases import routing

    with open_session() as session:
        sys.stdout.write(routing.export_yaml(session))


@app.command("explain")
def routing_explain(
    voicemail_id: Annotated[str, typer.Argument(help="a stored voicemail's id")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Which rules a stored voicemail matches now, and why (re-evaluated; nothing is stored)."""
    from voice.storage.routing import RoutingError
    from voice.usecases import routing

    with open_session() as session:
        try:
            decision = routing.explain(session, voicemail_id, _region())
            applied = routing.applied(session, voicemail_id)
        except RoutingError as exc:
            raise _refuse(exc) from None
    if as_json:
        print(
            json.dumps(
                {"voicemail_id": voicemail_id, "now": decision.as_dict(), "applied": applied}, indent=2
            )
        )
        return
    print(f"now:     {decision.text}")
    print(f"applied: {applied.get('text', '') if applied else 'never routed'}")


@app.command("test")
def routing_test(
    file: Annotated[Path, typer.Argument(help="triage cards, one JSON object a line ('-': standard input)")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON decision a line")] = False,
) -> None:
    """Run the rules on triage cards without storing anything: one decision a line. A card has intent,
    urgency, mailbox, language, spam (or flags), caller and at (ISO 8601), or is a line of
    `voice transcribe --format json`. Exit 2 if a line could not be read."""
    from voice.usecases import routing

    try:
        lines = sys.stdin.read().splitlines() if str(file) == "-" else file.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _refuse(exc) from None
    bad = 0
    with open_session() as session:
        for result in routing.test_cards(session, lines, _region()):
            if result.decision is None:
                bad += 1
                err.print(f"error: {result.error}", style="red", markup=False, highlight=False)
                continue
            if as_json:
                print(json.dumps({"line": result.line, **result.decision.as_dict()}))
            else:
                print(f"{result.line}: {result.decision.text}")
    if bad:
        raise typer.Exit(2)


@lists_app.command("show")
def lists_show(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Every caller list with its numbers."""
    from voice.storage import routing as store

    with open_session() as session:
        found = store.caller_lists(session)
    if as_json:
        print(json.dumps(found, indent=2))
        return
    for name, numbers in found.items():
        more = " ..." if len(numbers) > 10 else ""
        print(f"{name:<20} {len(numbers):>5} numbers  {' '.join(numbers[:10])}{more}")
    if not found:
        err.print("no caller lists")


def _numbers(name: str, numbers: list[str], add: bool) -> None:
    from voice.storage.routing import RoutingError
    from voice.usecases import routing

    with open_session() as session:
        try:
            if add:
                stored = routing.add_numbers(session, name, numbers, _region())
                done = f"{len(set(stored))} numbers on list {routing.list_name(name)!r}: {' '.join(stored)}"
            else:
                gone = routing.remove_numbers(session, name, numbers, _region())
                done = f"{gone} numbers taken off {name!r}"
        except RoutingError as exc:
            raise _refuse(exc) from None
        session.commit()
    print(done)


@lists_app.command("add")
def lists_add(
    name: Annotated[str, typer.Argument(help="the list, e.g. vip (made if need be)")],
    numbers: Annotated[list[str], typer.Argument(help="numbers, stored in E.164")],
) -> None:
    """Add numbers to a list: voice routing lists add vip +14155550100."""
    _numbers(name, numbers, add=True)


@lists_app.command("remove")
def lists_remove(
    name: Annotated[str, typer.Argument()], numbers: Annotated[list[str], typer.Argument()]
) -> None:
    """Take numbers off a list."""
    _numbers(name, numbers, add=False)


@lists_app.command("delete")
def lists_delete(name: Annotated[str, typer.Argument()]) -> None:
    """Delete a list (rules that name it then fall back to the default rule, saying why)."""
    from voice.storage import routing as store
    from voice.storage.routing import RoutingError

    with open_session() as session:
        try:
            store.delete_list(session, name.strip().lower())
        except RoutingError as exc:
            raise _refuse(exc) from None
        session.commit()
    err.print(f"deleted list {name.strip().lower()!r}", markup=False)
