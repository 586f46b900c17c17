#!/usr/bin/env python3
"""Prove that the real ClearML SDK works against an Atrium server with a key pair made in Atrium.

Every step runs in its own process with a fresh temporary HOME, CLEARML_CONFIG_FILE pointing into it and every
CLEARML_* / TRAINS_* variable of the caller removed, so no local clearml.conf or earlier session state leaks in.
One JSON object per step is printed on stdout: {"step": ..., "ok": true|false, "detail": ...}; the exit status is 1
if any step failed.

  check_sdk.py --api URL --web URL --files URL --access-key K --secret-key S \\
               --config-section FILE --expect-email E [--expect-workspace W]
      steps session, current_user, clearml_init
  check_sdk.py --api URL --access-key K --secret-key S --print-token
      logs in with the key through the SDK and prints only the token (to capture one before revoking the key)
  check_sdk.py --api URL --access-key K --secret-key S --revoked --old-token T
      step revoked: the key no longer logs in, and a token issued before the revocation is refused
  check_sdk.py --api URL --access-key K --secret-key S --config-values KEY [KEY ...] [--impersonate U]
      step config_values: a fresh Session (as U, through an impersonating token, when given) and the values
      the SDK's configuration then holds for each KEY (configuration vaults applied), read both from the
      Session and from `clearml.config`; a missing key is reported as null

The SDK is run with the Python of the venv made by `make sdk-venv` ($HOME/.cache/atrium/venv), or --python.
This script itself needs only the standard library.
"""

import argparse
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP_TIMEOUT_SEC = 120
# Same retry budget clearml-init uses when it verifies a key: fail fast if the server is down.
HTTP_RETRIES = {"total": 2}


def default_python():
    env = os.environ.get("ATRIUM_SDK_PYTHON")
    if env:
        return env
    venv = Path.home() / ".cache" / "atrium" / "venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def isolated_env(home):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLEARML_", "TRAINS_")) and k not in ("JPY_PARENT_PID", "PYTHONPATH")
    }
    env["HOME"] = str(home)
    env["CLEARML_CONFIG_FILE"] = str(Path(home) / "clearml.conf")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def tail(text, n=2000):
    text = text or ""
    return text if len(text) <= n else "…" + text[-n:]


# --------------------------------------------------------------------------------------------------------------
# Child side: runs inside the SDK's Python, in the isolated HOME. Reads its parameters from a JSON file and writes
# {"ok": ..., "detail": ...} to another.
# --------------------------------------------------------------------------------------------------------------


def sdk_session(p):
    from clearml.backend_api import Session

    return Session(
        api_key=p["access_key"], secret_key=p["secret_key"], host=p["api"], http_retries_config=dict(HTTP_RETRIES)
    )


def get_current_user(session):
    res = session.send_request("users", "get_current_user", json={})
    try:
        body = res.json()
    except ValueError:
        body = None
    return res, body


def check_user(res, body, p):
    problems = []
    if res.status_code != 200:
        problems.append(f"HTTP {res.status_code}")
    if not isinstance(body, dict) or "meta" not in body:
        problems.append("response is not a {meta, data} envelope")
        return problems, None
    if body["meta"].get("result_code") != 200:
        problems.append(f"meta.result_code {body['meta'].get('result_code')}")
    user = (body.get("data") or {}).get("user") or {}
    if user.get("email") != p["expect_email"]:
        problems.append(f"data.user.email is {user.get('email')!r}, expected {p['expect_email']!r}")
    company = (user.get("company") or {}).get("name")
    if p.get("expect_workspace") is not None and company != p["expect_workspace"]:
        problems.append(f"data.user.company.name is {company!r}, expected {p['expect_workspace']!r}")
    return problems, user


def child_session(p):
    from clearml.backend_api import Session

    s = sdk_session(p)
    token = s.token
    problems = []
    if not token or len(token.split(".")) != 3:
        problems.append("token is not a three-part JWT")
        return {"ok": False, "detail": {"problems": problems}}
    claims = Session.get_decoded_token(token)
    for claim in ("api_version", "server_version", "feature_set", "exp", "identity"):
        if claim not in claims:
            problems.append(f"token has no {claim!r} claim")
    if isinstance(claims.get("exp"), (int, float)) and claims["exp"] <= time.time():
        problems.append("token is already expired")
    detail = {
        "token_parts": 3,
        "claims": {k: claims.get(k) for k in ("api_version", "server_version", "feature_set", "exp", "identity")},
        "session": {
            "host": s.host,
            "api_version": Session.api_version,
            "max_api_version": Session.max_api_version,
            "server_version": Session.server_version,
            "feature_set": Session.feature_set,
        },
    }
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_current_user(p):
    from clearml.backend_api import services

    s = sdk_session(p)
    res, body = get_current_user(s)
    problems, user = check_user(res, body, p)
    detail = {
        "call": 'Session.send_request("users", "get_current_user", json={})',
        "sdk_has_typed_users_service": "users" in services.__all__,
        "http_status": res.status_code,
        "user": {k: (user or {}).get(k) for k in ("id", "name", "email", "role", "company")},
    }
    if problems:
        detail["problems"] = problems
        detail["body"] = body if body is not None else tail(res.text, 500)
    return {"ok": not problems, "detail": detail}


def child_config_works(p):
    """After clearml-init: a Session built only from the written config file logs in and sees the right user."""
    from clearml.backend_api import Session
    from clearml.backend_config.defs import get_active_config_file

    s = Session()
    res, body = get_current_user(s)
    problems, user = check_user(res, body, p)
    detail = {
        "active_config_file": get_active_config_file(),
        "api_server": Session.get_api_server_host(),
        "web_server": Session.get_app_server_host(),
        "files_server": Session.get_files_server_host(),
        "access_key": s.access_key,
        "email": (user or {}).get("email"),
    }
    for key, want in (("api_server", p["api"]), ("web_server", p["web"]), ("files_server", p["files"])):
        if detail[key].rstrip("/") != want.rstrip("/"):
            problems.append(f"{key} from the written config is {detail[key]!r}, expected {want!r}")
    if s.access_key != p["access_key"]:
        problems.append("written config does not carry the access key")
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_token(p):
    return {"ok": True, "detail": {"token": sdk_session(p).token}}


def child_revoked(p):
    import requests
    from clearml.backend_api.session.session import LoginError

    detail = {}
    problems = []

    # (a) the revoked key can no longer log in through the SDK
    try:
        sdk_session(p)
        problems.append("Session login with the revoked key succeeded")
        detail["key_login"] = "succeeded"
    except LoginError as ex:
        detail["key_login"] = {"error": type(ex).__name__, "message": str(ex)}
        if "error 401" not in str(ex):
            problems.append("login was refused, but not with HTTP 401")
    except Exception as ex:  # any other failure is not the SDK's auth error
        problems.append(f"login failed with {type(ex).__name__}, expected LoginError")
        detail["key_login"] = {"error": type(ex).__name__, "message": str(ex)}

    # (b) a token issued before the revocation is refused on a regular endpoint
    url = p["api"].rstrip("/") + "/users.get_current_user"
    res = requests.get(url, headers={"Authorization": f"Bearer {p['old_token']}"}, json={}, timeout=30)
    try:
        body = res.json()
    except ValueError:
        body = None
    meta = body.get("meta", {}) if isinstance(body, dict) else {}
    detail["old_token_request"] = {
        "url": url,
        "http_status": res.status_code,
        "result_code": meta.get("result_code"),
        "result_subcode": meta.get("result_subcode"),
        "result_msg": meta.get("result_msg"),
    }
    if res.status_code != 401:
        problems.append(f"old token: expected HTTP 401, got {res.status_code}")
    if not isinstance(body, dict) or "meta" not in body or "data" not in body:
        problems.append("old token: 401 body is not a {meta, data} envelope")
    elif meta.get("result_code") != 401:
        problems.append(f"old token: meta.result_code is {meta.get('result_code')}, expected 401")

    # (c) the SDK cannot turn the old token into a new one (auth.login with Bearer, as CLEARML_AUTH_TOKEN does)
    from clearml.backend_api import Session

    os.environ["CLEARML_AUTH_TOKEN"] = p["old_token"]
    try:
        Session(host=p["api"], http_retries_config=dict(HTTP_RETRIES))
        problems.append("auth.login with the old token as Bearer succeeded")
        detail["old_token_refresh"] = "succeeded"
    except LoginError as ex:
        detail["old_token_refresh"] = {"error": type(ex).__name__, "message": str(ex)}
    except Exception as ex:
        problems.append(f"old-token refresh failed with {type(ex).__name__}, expected LoginError")
        detail["old_token_refresh"] = {"error": type(ex).__name__, "message": str(ex)}
    finally:
        del os.environ["CLEARML_AUTH_TOKEN"]

    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_impersonate(p):
    """A service account (or admin) logs in with X-Clearml-Impersonate-As, as clearml-agent does for
    --use-owner-token, and hands the token to the SDK through CLEARML_AUTH_TOKEN, as the agent hands it
    to a task; the SDK must then act as the impersonated user."""
    import requests
    from clearml.backend_api import Session

    res = requests.get(
        p["api"].rstrip("/") + "/auth.login",
        auth=(p["access_key"], p["secret_key"]),
        headers={"X-Clearml-Impersonate-As": p["impersonate"]},
        timeout=10,
    )
    body = res.json()
    detail = {"http_status": res.status_code, "result_msg": body.get("meta", {}).get("result_msg")}
    if p.get("expect_refused"):
        ok = res.status_code == 403 and "meta" in body
        return {"ok": ok, "detail": detail}
    if res.status_code != 200:
        return {"ok": False, "detail": detail}
    token = body["data"]["token"]
    claims = Session.get_decoded_token(token)
    os.environ["CLEARML_AUTH_TOKEN"] = token
    s = Session(host=p["api"], http_retries_config=dict(HTTP_RETRIES))
    res, body = get_current_user(s)
    problems, user = check_user(res, body, p)
    if (claims.get("identity") or {}).get("user") != p["impersonate"]:
        problems.append("the token's identity.user is not the impersonated user")
    detail.update({"token_identity": claims.get("identity"), "user": {k: (user or {}).get(k) for k in ("id", "email", "role")}})
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_config_values(p):
    """The values the SDK's configuration holds once a Session has fetched the vaults."""
    from clearml.backend_api import Session

    if p.get("impersonate"):
        import requests

        res = requests.get(
            p["api"].rstrip("/") + "/auth.login",
            auth=(p["access_key"], p["secret_key"]),
            headers={"X-Clearml-Impersonate-As": p["impersonate"]},
            timeout=10,
        )
        os.environ["CLEARML_AUTH_TOKEN"] = res.json()["data"]["token"]
        s = Session(host=p["api"], http_retries_config=dict(HTTP_RETRIES))
    else:
        s = sdk_session(p)
    from clearml.config import config_obj

    missing = object()
    values, global_values = {}, {}
    for key in p["config_values"]:
        v = s.config.get(key, missing)
        values[key] = None if v is missing else v
        g = config_obj.get(key, missing)
        global_values[key] = None if g is missing else g
    return {"ok": True, "detail": {"values": values, "clearml_config": global_values, "feature_set": s.feature_set}}


def child_agent_config_values(p):
    """The values clearml-agent's own configuration holds once its session has loaded the vaults (what
    `clearml-agent daemon` does before it takes work)."""
    from clearml_agent.backend_api.session import Session

    os.environ["CLEARML_API_HOST"] = p["api"]
    os.environ["CLEARML_API_ACCESS_KEY"] = p["access_key"]
    os.environ["CLEARML_API_SECRET_KEY"] = p["secret_key"]
    s = Session()
    loaded = bool(s.load_vaults())
    missing = object()
    values = {}
    for key in p["config_values"]:
        v = s.config.get(key, missing)
        values[key] = None if v is missing else v
    return {"ok": loaded, "detail": {"vaults_loaded": loaded, "values": values}}


CHILD_STEPS = {
    "agent_config_values": child_agent_config_values,
    "config_values": child_config_values,
    "impersonate": child_impersonate,
    "session": child_session,
    "current_user": child_current_user,
    "config_works": child_config_works,
    "token": child_token,
    "revoked": child_revoked,
}


def child_main(step, params_path, result_path, steps=None):
    """Runs one child step (of `steps`, this script's by default) and writes its result."""
    params = json.loads(Path(params_path).read_text())
    try:
        result = (steps or CHILD_STEPS)[step](params)
    except Exception as ex:
        import traceback

        result = {"ok": False, "detail": {"error": type(ex).__name__, "message": str(ex),
                                          "traceback": tail(traceback.format_exc(), 3000)}}
    Path(result_path).write_text(json.dumps(result, default=str))


# --------------------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------------------


def run_child(args, step, params, home, script=None, env=None):
    """Runs `script --child step` (this script by default) in the SDK's Python in `home`; its result."""
    params_path = Path(home) / f".{step}.params.json"
    result_path = Path(home) / f".{step}.result.json"
    params_path.write_text(json.dumps(params))
    try:
        proc = subprocess.run(
            [args.python, os.path.abspath(script or __file__), "--child", step, str(params_path), str(result_path)],
            env=env or isolated_env(home),
            cwd=home,
            capture_output=True,
            text=True,
            timeout=args.timeout,
        )
    except subprocess.TimeoutExpired as ex:
        return {"ok": False, "detail": {"error": f"timed out after {args.timeout}s",
                                        "output": tail((ex.stdout or b"").decode("utf-8", "replace"))}}
    if not result_path.exists():
        return {"ok": False, "detail": {"error": f"step process exited {proc.returncode} without a result",
                                        "output": tail(proc.stdout + proc.stderr)}}
    result = json.loads(result_path.read_text())
    if not result["ok"]:
        result["detail"]["sdk_output"] = tail(proc.stdout + proc.stderr)
    return result


# Prompts clearml-init may print after the pasted block (see clearml/cli/config/__main__.py). They are printed
# without a trailing newline; the value is read with input().
HOST_PROMPT = re.compile(r"(WEB Host|API|Files|Web|Web Application Host) configured to: (?:\[[^\]]*\] )?$")
CREDENTIALS_PROMPT = re.compile(r"Enter user (access key|secret): $")


def run_clearml_init(args, home):
    """Run the real clearml-init: paste the config section, then answer whatever else it asks."""
    exe = Path(args.python).parent / "clearml-init"
    section = Path(args.config_section).read_text()
    # A person pastes the block and presses Enter; clearml-init reads lines until the first one that is exactly "}".
    paste = section.rstrip() + "\n"
    answers = {"WEB Host": args.web, "Web": args.web, "Web Application Host": args.web, "API": args.api,
               "Files": args.files}
    proc = subprocess.Popen([str(exe)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=isolated_env(home), cwd=home)
    proc.stdin.write(paste.encode())
    proc.stdin.flush()
    transcript = ""
    answered_upto = 0
    extra_prompts = []
    deadline = time.monotonic() + args.timeout
    fd = proc.stdout.fileno()
    while True:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return None, transcript, extra_prompts, "timed out"
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            transcript += chunk.decode("utf-8", "replace")
        pending = transcript[answered_upto:]
        m = HOST_PROMPT.search(pending)
        if m:
            extra_prompts.append({"prompt": m.group(0), "answer": answers[m.group(1)]})
            proc.stdin.write((answers[m.group(1)] + "\n").encode())
            proc.stdin.flush()
            answered_upto = len(transcript)
        elif CREDENTIALS_PROMPT.search(pending):
            # clearml-init could not parse the pasted key or the server refused it: that is a failure, not a prompt
            # to answer. Closing stdin makes it stop.
            extra_prompts.append({"prompt": CREDENTIALS_PROMPT.search(pending).group(0), "answer": "<EOF>"})
            proc.stdin.close()
            answered_upto = len(transcript)
        if not ready and proc.poll() is not None:
            # drain whatever is left
            rest = proc.stdout.read()
            transcript += (rest or b"").decode("utf-8", "replace")
            break
    proc.wait()
    return proc.returncode, transcript, extra_prompts, None


def step_clearml_init(args, home):
    code, transcript, extra_prompts, error = run_clearml_init(args, home)
    conf = Path(home) / "clearml.conf"
    problems = []
    if error:
        problems.append(error)
    if code != 0:
        problems.append(f"clearml-init exited {code}")
    if "ClearML setup completed successfully." not in transcript:
        problems.append("clearml-init did not report success")
    text = conf.read_text() if conf.exists() else ""
    if not text:
        problems.append("no configuration file was written")
    elif args.access_key not in text:
        problems.append("written configuration does not contain the access key")
    detail = {"exit_code": code, "config_file": str(conf), "prompts_after_paste": extra_prompts}
    if not problems:
        works = run_child(args, "config_works", params_for(args), home)
        detail["written_config"] = works["detail"]
        if not works["ok"]:
            problems.append("a Session built from the written configuration failed")
    if problems:
        detail["problems"] = problems
        detail["transcript"] = tail(transcript, 4000)
    return {"ok": not problems, "detail": detail}


def params_for(args):
    return {
        "api": args.api,
        "web": args.web,
        "files": args.files,
        "access_key": args.access_key,
        "secret_key": args.secret_key,
        "expect_email": args.expect_email,
        "expect_workspace": args.expect_workspace,
        "old_token": args.old_token,
        "impersonate": args.impersonate,
        "expect_refused": args.expect_refused,
        "config_values": args.config_values,
    }


def in_temp_home(fn):
    with tempfile.TemporaryDirectory(prefix="atrium-sdk-") as home:
        return fn(home)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child_main(*sys.argv[2:])
        return 0

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--api", required=True, help="api_server URL, as in the config section")
    p.add_argument("--web", help="web_server URL")
    p.add_argument("--files", help="files_server URL")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--config-section", help="file with the exact text the web UI shows for a new key")
    p.add_argument("--expect-email", help="users.get_current_user must report this email")
    p.add_argument("--expect-workspace", help="...and this company (workspace) name")
    p.add_argument("--print-token", action="store_true", help="log in with the key and print only the token")
    p.add_argument("--revoked", action="store_true", help="run only the 'revoked' step (needs --old-token)")
    p.add_argument("--old-token", help="a token obtained with the key before it was revoked")
    p.add_argument("--impersonate", help="run only the 'impersonate' step: log in as this user id (needs --expect-email)")
    p.add_argument("--expect-refused", action="store_true", help="with --impersonate: the server must refuse (403)")
    p.add_argument("--config-values", nargs="+", help="run only the 'config_values' step for these keys")
    p.add_argument("--agent", action="store_true",
                   help="with --config-values: read them from clearml-agent's session instead of the SDK's")
    p.add_argument("--python", default=default_python(), help="Python with clearml installed (default: %(default)s)")
    p.add_argument("--timeout", type=int, default=STEP_TIMEOUT_SEC, help="seconds per step")
    args = p.parse_args()

    params = params_for(args)
    if args.print_token:
        result = in_temp_home(lambda home: run_child(args, "token", params, home))
        if not result["ok"]:
            print(json.dumps({"step": "print_token", **result}), file=sys.stderr)
            return 1
        print(result["detail"]["token"])
        return 0

    if args.config_values:
        step = "agent_config_values" if args.agent else "config_values"
        steps = [(step, lambda home: run_child(args, step, params, home))]
    elif args.impersonate:
        if not (args.expect_email or args.expect_refused):
            p.error("--impersonate needs --expect-email or --expect-refused")
        steps = [("impersonate", lambda home: run_child(args, "impersonate", params, home))]
    elif args.revoked:
        if not args.old_token:
            p.error("--revoked needs --old-token")
        steps = [("revoked", lambda home: run_child(args, "revoked", params, home))]
    else:
        missing = [f"--{n.replace('_', '-')}" for n in ("web", "files", "config_section", "expect_email")
                   if not getattr(args, n)]
        if missing:
            p.error("missing " + ", ".join(missing))
        steps = [
            ("session", lambda home: run_child(args, "session", params, home)),
            ("current_user", lambda home: run_child(args, "current_user", params, home)),
            ("clearml_init", lambda home: step_clearml_init(args, home)),
        ]

    failed = 0
    for name, fn in steps:
        result = in_temp_home(fn)
        failed += not result["ok"]
        print(json.dumps({"step": name, "ok": result["ok"], "detail": result["detail"]}, default=str), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
