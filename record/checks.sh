# shellcheck shell=bash
# Checks of what the recording scripts (run as root) are given, sourced by
# record.sh and record-arm64.sh after they define die() and ROOT.

# check_dir VAR PATH: refuse a work or output folder that is empty, relative,
# a symlink, a system folder or an ancestor of one, the checkout itself or an
# ancestor of it. Prints the resolved path.
check_dir() {
	local what=$1 p=$2 r
	[ -n "$p" ] || die "$what is empty"
	case "$p" in /*) ;; *) p=$ROOT/$p ;; esac
	[ -L "$p" ] && die "$what=$p is a symlink: refused"
	r=$(realpath -m -- "$p")
	case "$r" in
	/ | /bin | /boot | /dev | /etc | /home | /lib | /lib32 | /lib64 | /media | /mnt | /opt | /proc | /root | /run | /sbin | /srv | /sys | /tmp | /usr | /var | /var/tmp | /work)
		die "$what=$r is a system folder: refused" ;;
	/bin/* | /boot/* | /dev/* | /etc/* | /lib/* | /lib32/* | /lib64/* | /proc/* | /sbin/* | /sys/* | /usr/* | /run/*)
		die "$what=$r is inside a system folder: refused" ;;
	esac
	case "$ROOT/" in "$r"/*) die "$what=$r is the checkout or one of its parents: refused" ;; esac
	echo "$r"
}
# check_name S: trace names go into file names.
check_name() { [[ $1 =~ ^[a-z0-9_]{1,40}$ ]] || die "configuration name '$1' must be [a-z0-9_]{1,40}"; }
check_num() { [[ $2 =~ ^[1-9][0-9]{0,5}$ ]] || die "$1 must be a positive integer, not '$2'"; }
# check_config CFG: a recording configuration NAME:MIB:PROCS:ROUNDS.
check_config() {
	local name mb par rounds extra
	IFS=: read -r name mb par rounds extra <<<"$1"
	[ -z "${extra:-}" ] || die "configuration '$1' has more than NAME:MIB:PROCS:ROUNDS"
	check_name "$name"
	check_num MIB "$mb"
	check_num PROCS "$par"
	check_num ROUNDS "$rounds"
}
# apt_ok LOG: fail on any error, fetch failure or signature warning.
apt_ok() {
	if grep -qE '^(E:|Err:|W: (GPG error|Failed to fetch|The repository|.*(signature|NO_PUBKEY|KEYEXPIRED|not signed|Signed-By)))' "$1"; then
		grep -E '^(E:|Err:|W:)' "$1" >&2 || true
		return 1
	fi
}
