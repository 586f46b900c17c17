#!/usr/bin/env python3
"""Prove that the real ClearML SDK's storage layer works against Atrium's file server.

Every step runs in its own process with a fresh temporary HOME, CLEARML_CONFIG_FILE pointing into it and every
CLEARML_* / TRAINS_* variable of the caller removed; the server and the key pair are given to the SDK through
CLEARML_API_HOST, CLEARML_FILES_HOST, CLEARML_API_ACCESS_KEY and CLEARML_API_SECRET_KEY. One JSON object per step
is printed on stdout: {"step": ..., "ok": true|false, "detail": ...}; the exit status is 1 if any step failed.

  check_files.py --api URL --files URL --access-key K --secret-key S
      steps:
      round_trip  StorageManager.upload_file of random bytes to <files>/e2e/<random>/data bin.bin, then
                  StorageManager.get_local_copy of the URL it returned; the bytes must be the same. The SDK
                  must count the files URL as its files server (so that it sends its token), and the same URL
                  fetched without credentials must be refused (401).
      traversal   the SDK's own upload to <files>/../escape.txt must fail, and raw requests with the SDK's
                  token that try to leave the workspace's space (a "../" part name, "%2e%2e" in a download
                  path) must be refused (400/404), never stored or served.
      delete      the SDK deletes the uploaded file (StorageHelper.delete); get_local_copy then finds nothing.
      quota       (only with --steps quota) StorageManager.upload_file of --fits bytes must succeed; then an upload
                  of --over bytes, which takes the workspace past its storage quota, must fail with the server's
                  "Storage quota exceeded" answer, and get_local_copy of its URL must find nothing.

The SDK is run with the Python of the venv made by `make sdk-venv` ($HOME/.cache/atrium/venv), or --python.
This script itself needs only the standard library.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_sdk  # noqa: E402

STEP_TIMEOUT_SEC = 120


def default_python():
    env = os.environ.get("ATRIUM_SDK_PYTHON")
    if env:
        return env
    venv = Path.home() / ".cache" / "atrium" / "venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def isolated_env(home, p):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLEARML_", "TRAINS_")) and k not in ("JPY_PARENT_PID", "PYTHONPATH")
    }
    env["HOME"] = str(home)
    env["CLEARML_CONFIG_FILE"] = str(Path(home) / "clearml.conf")
    env["PYTHONUNBUFFERED"] = "1"
    env["CLEARML_API_HOST"] = p["api"]
    env["CLEARML_FILES_HOST"] = p["files"]
    env["CLEARML_WEB_HOST"] = p["api"]
    env["CLEARML_API_ACCESS_KEY"] = p["access_key"]
    env["CLEARML_API_SECRET_KEY"] = p["secret_key"]
    # Fail fast rather than retry for minutes when something is wrong.
    env["CLEARML_API_HTTP_RETRIES_TOTAL"] = "2"
    return env


def tail(text, n=2000):
    text = text or ""
    return text if len(text) <= n else "…" + text[-n:]


# --------------------------------------------------------------------------------------------------------------
# Child side: runs inside the SDK's Python, in the isolated HOME.
# --------------------------------------------------------------------------------------------------------------


def session_token():
    from clearml.backend_interface.base import InterfaceBase

    return InterfaceBase._get_default_session().token



def child_round_trip(p, home):
    import hashlib
    import secrets

    import requests
    from clearml import StorageManager
    from clearml.storage.helper import _HttpDriver

    problems = []
    files = p["files"].rstrip("/")
    hosts = _HttpDriver.get_file_server_hosts()
    if files not in [h.rstrip("/") for h in hosts]:
        problems.append(f"the SDK does not count {files} as its files server: {hosts}")

    data = secrets.token_bytes(300 * 1024 + 17)
    local = Path(home) / "data.bin"
    local.write_bytes(data)
    remote = f"{files}/e2e/{secrets.token_hex(8)}/data bin.bin"
    uploaded = StorageManager.upload_file(str(local), remote)
    detail = {"remote": remote, "uploaded": uploaded, "size": len(data), "files_server_hosts": hosts}
    if not uploaded:
        problems.append("upload_file returned nothing")
        return {"ok": False, "detail": {**detail, "problems": problems}}

    copy = StorageManager.get_local_copy(uploaded, force_download=True)
    detail["local_copy"] = copy
    if not copy:
        problems.append("get_local_copy returned nothing")
    else:
        got = Path(copy).read_bytes()
        detail["sha256_sent"] = hashlib.sha256(data).hexdigest()
        detail["sha256_received"] = hashlib.sha256(got).hexdigest()
        if got != data:
            problems.append(f"the downloaded bytes differ ({len(got)} bytes received)")

    anonymous = requests.get(uploaded, timeout=30)
    detail["anonymous_status"] = anonymous.status_code
    if anonymous.status_code != 401:
        problems.append(f"a download without credentials answered {anonymous.status_code}")

    Path(p["state"]).write_text(json.dumps({"uploaded": uploaded}))
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_traversal(p, home):
    import secrets

    import requests
    from clearml import StorageManager

    problems = []
    files = p["files"].rstrip("/")
    local = Path(home) / "escape.txt"
    marker = secrets.token_hex(16)
    local.write_text(marker)
    detail = {}

    # (a) through the SDK: the part is named "/../escape.txt"
    try:
        result = StorageManager.upload_file(str(local), f"{files}/../escape-{marker}.txt", retries=1)
        detail["sdk_upload"] = result
        if result:
            problems.append(f"the SDK's upload outside the space returned {result!r}")
    except Exception as ex:  # the SDK raises on a refused upload
        detail["sdk_upload"] = {"error": type(ex).__name__, "message": tail(str(ex), 300)}
        if "400" not in str(ex):
            problems.append("the SDK's upload outside the space failed, but not with a 400")

    # (b) raw requests with the SDK's own token
    auth = {"Authorization": f"Bearer {session_token()}"}
    for name in ("../escape.txt", "a/../../escape.txt", "..\\escape.txt", "a\\..\\..\\escape.txt"):
        res = requests.post(files, files={name: (name, marker.encode())}, headers=auth, timeout=30)
        detail[f"upload {name}"] = res.status_code
        if res.status_code != 400:
            problems.append(f"an upload named {name!r} answered {res.status_code}")
    for path in ("%2e%2e/escape.txt", "%2E%2E/%2E%2E/etc/passwd", "e2e/%2e%2e/%2e%2e/x", "..%2f..%2fetc%2fpasswd",
                 "..%5cescape.txt", "%00"):
        res = requests.get(f"{files}/{path}", headers=auth, timeout=30)
        detail[f"download {path}"] = res.status_code
        if res.status_code not in (400, 404) or marker in res.text:
            problems.append(f"a download of {path!r} answered {res.status_code}")
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_delete(p, home):
    from clearml import StorageManager
    from clearml.storage.helper import StorageHelper

    uploaded = json.loads(Path(p["state"]).read_text())["uploaded"]
    helper = StorageHelper.get(uploaded)
    deleted = helper.delete(uploaded)
    detail = {"uploaded": uploaded, "deleted": deleted}
    problems = []
    if not deleted:
        problems.append("StorageHelper.delete returned False")
    copy = StorageManager.get_local_copy(uploaded, force_download=True)
    detail["local_copy_after"] = copy
    if copy:
        problems.append("the deleted file could still be downloaded")
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


def child_quota(p, home):
    import secrets

    import requests
    from clearml import StorageManager

    files = p["files"].rstrip("/")
    folder = f"{files}/quota/{secrets.token_hex(8)}"
    problems, detail = [], {}
    fits = Path(home) / "fits.bin"
    fits.write_bytes(secrets.token_bytes(p["fits"]))
    uploaded = StorageManager.upload_file(str(fits), f"{folder}/fits.bin")
    detail["fits"] = uploaded
    if not uploaded:
        problems.append(f"an upload of {p['fits']} bytes within the quota returned nothing")
    over = Path(home) / "over.bin"
    over.write_bytes(secrets.token_bytes(p["over"]))
    target = f"{folder}/over.bin"
    try:
        result = StorageManager.upload_file(str(over), target, retries=1)
        detail["over"] = result
        if result:
            problems.append(f"an upload past the quota returned {result!r}")
    except Exception as ex:  # the SDK raises on a refused upload
        detail["over"] = {"error": type(ex).__name__, "message": tail(str(ex), 500)}
    # What the server answers to the same upload, word for word.
    auth = {"Authorization": f"Bearer {session_token()}"}
    res = requests.post(files, files={"quota/again.bin": ("again.bin", over.read_bytes())}, headers=auth, timeout=60)
    detail["server_answer"] = {"status": res.status_code, "text": tail(res.text, 500)}
    if res.status_code != 413 or "Storage quota exceeded" not in res.text:
        problems.append(f"the server answered {res.status_code}: {tail(res.text, 200)}")
    copy = StorageManager.get_local_copy(target, force_download=True)
    detail["over_copy"] = copy
    if copy:
        problems.append("the refused upload can be downloaded")
    if problems:
        detail["problems"] = problems
    return {"ok": not problems, "detail": detail}


CHILD_STEPS = {"round_trip": child_round_trip, "traversal": child_traversal, "delete": child_delete,
               "quota": child_quota}


# --------------------------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------------------------


def run_child(args, step, params, home):
    return check_sdk.run_child(args, step, params, home, script=__file__, env=isolated_env(home, params))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        steps = {name: (lambda p, f=f: f(p, os.environ["HOME"])) for name, f in CHILD_STEPS.items()}
        check_sdk.child_main(*sys.argv[2:], steps=steps)
        return 0

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--api", required=True, help="api_server URL")
    p.add_argument("--files", required=True, help="files_server URL")
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--python", default=default_python(), help="Python with clearml installed (default: %(default)s)")
    p.add_argument("--timeout", type=int, default=STEP_TIMEOUT_SEC, help="seconds per step")
    p.add_argument("--steps", default="round_trip,traversal,delete", help="comma-separated (default: %(default)s)")
    p.add_argument("--fits", type=int, default=0, help="quota: bytes of the upload within the quota")
    p.add_argument("--over", type=int, default=0, help="quota: bytes of the upload past the quota")
    args = p.parse_args()

    failed = 0
    with tempfile.TemporaryDirectory(prefix="atrium-files-") as shared:
        params = {"api": args.api, "files": args.files, "access_key": args.access_key,
                  "secret_key": args.secret_key, "state": str(Path(shared) / "state.json"),
                  "fits": args.fits, "over": args.over}
        for name in args.steps.split(","):
            with tempfile.TemporaryDirectory(prefix="atrium-sdk-") as home:
                result = run_child(args, name, params, home)
            failed += not result["ok"]
            print(json.dumps({"step": name, "ok": result["ok"], "detail": result["detail"]}, default=str),
                  flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
