# shellcheck shell=bash
# Common set-up for scripts/test and scripts/demo. Source it, don't run it:
#
#     source "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"
#
# After sourcing, the current directory is the repository root ($VOXLOOP_ROOT) and these
# functions exist:
#
#   ensure_system_packages PKG...  Debian/Ubuntu packages. As root (or with CI=true and
#                                  password-less sudo) installs the missing ones with apt-get;
#                                  otherwise prints what is missing and carries on.
#   ensure_python                  Sets $VOXLOOP_PYTHON to a Python >= 3.11 that can make
#                                  virtualenvs (installing python3/python3-venv if it may).
#   ensure_venv EXTRAS             Creates/updates .venv and installs the project editable with
#                                  those extras, e.g. ensure_venv 'all,test'. Skipped when
#                                  nothing that matters (pyproject.toml, package layout, Python
#                                  version) changed since the last successful install.
#                                  VOXLOOP_REINSTALL=1 forces it.
#   ensure_node_tools              Installs package.json's JavaScript test tools (axe-core)
#                                  into node_modules/ with `npm ci`, when package-lock.json
#                                  changed since the last install. Without npm it warns.
#   is_ci                          True when $CI is true/1/yes.
#   say / warn / die               Messages on stderr.

VOXLOOP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$VOXLOOP_ROOT" || exit 1

VOXLOOP_MIN_PYTHON="3.11"
VOXLOOP_VENV="$VOXLOOP_ROOT/.venv"

say()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

is_ci() {
    case "${CI:-}" in
        [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss]) return 0 ;;
        *) return 1 ;;
    esac
}

# Sets the array _VOXLOOP_SUDO to the prefix that lets us run apt-get, or returns 1.
# Root: no prefix. In CI only: password-less sudo. Never prompts for a password.
_voxloop_can_install() {
    _VOXLOOP_SUDO=()
    if [[ $EUID -eq 0 ]]; then
        return 0
    fi
    if is_ci && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        _VOXLOOP_SUDO=(sudo -n)
        return 0
    fi
    return 1
}

_VOXLOOP_APT_UPDATED=0

ensure_system_packages() {
    (($# > 0)) || return 0
    if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        warn "not a Debian/Ubuntu system (no dpkg/apt-get): cannot check system packages."
        warn "Make sure the equivalents of these are installed: $*"
        return 0
    fi

    local pkg missing=()
    for pkg in "$@"; do
        if ! dpkg -s "$pkg" 2>/dev/null | grep -qx 'Status: install ok installed'; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]} > 0)) || return 0

    if ! _voxloop_can_install; then
        warn "missing system packages: ${missing[*]}"
        warn "install them with:  sudo apt-get install --no-install-recommends ${missing[*]}"
        if is_ci; then
            warn "(carrying on; with VOXLOOP_REQUIRE_ALL=1 the tests that need them will fail)"
        else
            warn "(carrying on; the tests that need them will be skipped)"
        fi
        return 0
    fi

    say "installing system packages: ${missing[*]}"
    local apt=("${_VOXLOOP_SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
    if ((_VOXLOOP_APT_UPDATED == 0)); then
        if ! "${apt[@]}" update; then
            is_ci && die "apt-get update failed"
            warn "apt-get update failed; carrying on without: ${missing[*]}"
            return 0
        fi
        _VOXLOOP_APT_UPDATED=1
    fi
    if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}"; then
        is_ci && die "apt-get install failed for: ${missing[*]}"
        warn "apt-get install failed; carrying on without: ${missing[*]}"
    fi
    return 0
}

# Succeeds if "$1" is a Python interpreter of at least $VOXLOOP_MIN_PYTHON.
_voxloop_python_ok() {
    "$1" -c "import sys; sys.exit(sys.version_info < tuple(map(int, '$VOXLOOP_MIN_PYTHON'.split('.'))))" \
        >/dev/null 2>&1
}

_voxloop_find_python() {
    local candidate path
    for candidate in ${PYTHON:+"$PYTHON"} python3 python3.13 python3.12 python3.11; do
        path="$(command -v "$candidate" 2>/dev/null)" || continue
        if _voxloop_python_ok "$path"; then
            VOXLOOP_PYTHON="$path"
            return 0
        fi
    done
    return 1
}

ensure_python() {
    if ! _voxloop_find_python; then
        # Debian 12's python3 is 3.11, Ubuntu 24.04's is 3.12.
        _voxloop_can_install && ensure_system_packages python3 python3-venv
        _voxloop_find_python || die "need Python >= $VOXLOOP_MIN_PYTHON, found: $(
            command -v python3 >/dev/null 2>&1 && python3 --version 2>&1 || echo 'no python3 on PATH'
        ). Install it (Debian/Ubuntu: apt-get install python3 python3-venv) or point \$PYTHON at one."
    fi
    # Debian/Ubuntu split venv/ensurepip off into python3-venv.
    if ! "$VOXLOOP_PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        case "$VOXLOOP_PYTHON" in
            /usr/bin/*) ensure_system_packages python3-venv ;;
        esac
        "$VOXLOOP_PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 ||
            die "$VOXLOOP_PYTHON cannot create virtualenvs (no venv/ensurepip module). On Debian/Ubuntu: apt-get install python3-venv"
    fi
    say "using $("$VOXLOOP_PYTHON" --version 2>&1) ($VOXLOOP_PYTHON)"
}

# What decides whether the editable install is still current: the project metadata, which
# top-level packages/modules exist (setuptools maps them at install time), the Python version.
_voxloop_install_fingerprint() {
    {
        printf 'extras=%s\n' "$1"
        "$VOXLOOP_VENV/bin/python" -c 'import sys; print(sys.version)'
        cat pyproject.toml
        [[ -f setup.py ]] && cat setup.py
        [[ -f setup.cfg ]] && cat setup.cfg
        local f
        for f in ./*.py ./*/__init__.py; do
            [[ -e "$f" ]] && printf '%s\n' "$f"
        done
        true
    } | sha256sum | cut -d' ' -f1
}

ensure_venv() {
    local extras="${1:?ensure_venv needs the extras, e.g. ensure_venv all,test}"
    [[ -n "${VOXLOOP_PYTHON:-}" ]] || ensure_python

    if [[ -e "$VOXLOOP_VENV" ]] && ! _voxloop_python_ok "$VOXLOOP_VENV/bin/python"; then
        if [[ -f "$VOXLOOP_VENV/pyvenv.cfg" ]]; then
            warn ".venv is broken or older than Python $VOXLOOP_MIN_PYTHON; recreating it"
            rm -rf "$VOXLOOP_VENV"
        else
            die "$VOXLOOP_VENV exists but is not a usable virtualenv; move it away and re-run"
        fi
    fi
    if [[ ! -x "$VOXLOOP_VENV/bin/python" ]]; then
        say "creating virtualenv .venv"
        "$VOXLOOP_PYTHON" -m venv "$VOXLOOP_VENV" || die "could not create .venv with $VOXLOOP_PYTHON"
    fi

    local stamp="$VOXLOOP_VENV/.voxloop-install-${extras//[^A-Za-z0-9]/-}"
    local fingerprint
    fingerprint="$(_voxloop_install_fingerprint "$extras")"
    if [[ "${VOXLOOP_REINSTALL:-0}" != 1 && -f "$stamp" && "$(cat "$stamp")" == "$fingerprint" ]]; then
        say ".venv is up to date ([$extras]; VOXLOOP_REINSTALL=1 forces a reinstall)"
        return 0
    fi

    rm -f "$stamp"
    local pip=("$VOXLOOP_VENV/bin/python" -m pip --disable-pip-version-check --no-input)
    say "updating pip"
    "${pip[@]}" install --quiet --upgrade pip || die "pip upgrade failed"
    say "installing voxloop[$extras] into .venv (the first time takes a minute or two)"
    "${pip[@]}" install --quiet -e ".[$extras]" || die "pip install -e '.[$extras]' failed (see above)"
    printf '%s\n' "$fingerprint" >"$stamp"
}

ensure_node_tools() {
    [[ -f package-lock.json ]] || return 0
    if ! command -v npm >/dev/null 2>&1; then
        is_ci && die "npm is missing (apt-get install npm): the JavaScript test tools cannot be installed"
        warn "npm is missing: the phone page's accessibility test will be skipped (apt-get install npm)"
        return 0
    fi
    local stamp="node_modules/.voxloop-install" fingerprint
    fingerprint="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if [[ "${VOXLOOP_REINSTALL:-0}" != 1 && -f "$stamp" && "$(cat "$stamp")" == "$fingerprint" ]]; then
        say "node_modules is up to date (package-lock.json unchanged)"
        return 0
    fi
    say "installing the JavaScript test tools (npm ci)"
    if npm ci --no-audit --no-fund --loglevel=error; then
        printf '%s\n' "$fingerprint" >"$stamp"
    else
        is_ci && die "npm ci failed (see above)"
        warn "npm ci failed; the phone page's accessibility test will be skipped"
    fi
    return 0
}
