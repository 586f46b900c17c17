#!/usr/bin/env python3
"""Prove that Atrium's access rules hold for the real ClearML SDK.

The step runs in its own process with a fresh temporary HOME and a clearml.conf naming the server and a key pair,
or with CLEARML_AUTH_TOKEN set to a token (an impersonating token made with X-ClearML-Impersonate-As). It prints one JSON object on stdout:
{"step": "sees", "ok": true|false, "detail": ...}; the exit status is 1 if it failed.

  check_access_rules.py sees --api URL (--access-key K --secret-key S | --token T) [--edit TASK] [--queue NAME]
      detail.projects   the names APIClient().projects.get_all() answers, sorted
      detail.tasks      the names of Task.get_tasks() (every task the caller may read), sorted
      detail.edit       with --edit: "ok", or the [code, subcode] ClearML's error carried, when
                        APIClient().tasks.edit(task=TASK, comment=...) was refused
      detail.queue      with --queue: "ok", or [code, subcode] for APIClient().queues.create(name=NAME)

The SDK runs with the Python of the venv `make sdk-venv` makes ($HOME/.cache/atrium/venv), or --python.
This script itself needs only the standard library.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_sdk  # noqa: E402
from check_sdk import default_python, isolated_env  # noqa: E402

STEP_TIMEOUT_SEC = 120


def refusal(ex):
    """The [code, subcode] of a refused call, as the SDK's APIClient reports it (its APIError)."""
    codes = getattr(ex, "codes", None)
    if codes is not None:
        return list(codes)
    return [None, None, f"{type(ex).__name__}: {ex}"]


def child_sees(p):
    from clearml import Task
    from clearml.backend_api.session.client import APIClient

    client = APIClient()
    detail = {
        "projects": sorted(x.name for x in client.projects.get_all()),
        "tasks": sorted(t.name for t in Task.get_tasks()),
    }
    if p.get("edit"):
        try:
            client.tasks.edit(task=p["edit"], comment="edited through the SDK")
            detail["edit"] = "ok"
        except Exception as ex:  # the refusal is what is looked at
            detail["edit"] = refusal(ex)
    if p.get("queue"):
        try:
            client.queues.create(name=p["queue"])
            detail["queue"] = "ok"
        except Exception as ex:
            detail["queue"] = refusal(ex)
    return {"ok": True, "detail": detail}


CHILD_STEPS = {"sees": child_sees}


def write_config(home, api, key, secret):
    web = api[:-4] if api.endswith("/api") else api
    credentials = f'  credentials {{ "access_key" = "{key}", "secret_key" = "{secret}" }}\n' if key else ""
    Path(home, "clearml.conf").write_text(
        "api {\n" f"  web_server: {web}\n  api_server: {api}\n  files_server: {web}/files\n" + credentials + "}\n"
    )


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        check_sdk.child_main(*sys.argv[2:], steps=CHILD_STEPS)
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("step", choices=["sees"])
    p.add_argument("--api", required=True, help="api_server URL")
    p.add_argument("--access-key")
    p.add_argument("--secret-key")
    p.add_argument("--token", help="a token instead of a key pair")
    p.add_argument("--edit", help="a task id to edit")
    p.add_argument("--queue", help="a queue name to create")
    p.add_argument("--python", default=default_python(), help="Python with clearml installed")
    p.add_argument("--timeout", type=int, default=STEP_TIMEOUT_SEC, help="seconds for the step")
    args = p.parse_args()
    if not args.token and not (args.access_key and args.secret_key):
        p.error("give --access-key and --secret-key, or --token")
    with tempfile.TemporaryDirectory(prefix="atrium-rules-") as home:
        write_config(home, args.api, args.access_key, args.secret_key)
        env = isolated_env(home)
        if args.token:
            env["CLEARML_AUTH_TOKEN"] = args.token
        result = check_sdk.run_child(
            args, args.step, {"edit": args.edit, "queue": args.queue}, home, script=__file__, env=env
        )
    print(json.dumps({"step": args.step, **result}, default=str), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
