# shellcheck shell=bash
# A private apt configuration for fetching Debian packages (kernel images,
# kernel source) from a suite the machine's own sources do not name, without
# changing /etc/apt. Sourced by the recording scripts. The archive URI is the
# one the machine's own sources entry uses; the suite is signed by
# debian-archive-keyring, and any warning from apt-get update (a bad or missing
# signature among them) is an error.
#
#   debian_apt_init DIR SUITES ARCH  write DIR/sources.list (one line per
#                                    suite of the space-separated SUITES;
#                                    a *-security suite from the security
#                                    archive), run update
#   debian_apt_version PKG           the candidate version of PKG
#   debian_apt_download PKG DEST     download PKG into DEST, print the .deb path

# debian_apt_uri: the first non-security archive URI of the machine's sources.
debian_apt_uri() {
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ {u=$2} /^Suites:/ && u && $0 !~ /security/ {print u; exit}')
	[ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -v security | sed -E 's/^deb +(\[[^]]*\] +)?([^ ]+).*/\2/' | head -1)
	echo "${uri:-http://deb.debian.org/debian}"
}

# debian_apt_security_uri: the machine's security archive URI.
debian_apt_security_uri() {
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ {u=$2} /^Suites:/ && u && $0 ~ /-security/ {print u; exit}')
	[ -n "$uri" ] || uri=$(grep -hE '^deb .*-security' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -E 's/^deb +(\[[^]]*\] +)?([^ ]+).*/\2/' | head -1)
	echo "${uri:-http://deb.debian.org/debian-security}"
}

debian_apt_init() {
	local dir=$1 suites=$2 arch=$3 key=/usr/share/keyrings/debian-archive-keyring.gpg suite uri list
	[ -f "$key" ] || { echo "debian-apt: $key is missing (apt-get install debian-archive-keyring)" >&2; return 1; }
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	: >"$dir/sources.list"
	read -ra list <<<"$suites"
	for suite in "${list[@]}"; do
		case "$suite" in
		*[!a-z0-9-]*) echo "debian-apt: suite '$suite' must be [a-z0-9-]" >&2 && return 1 ;;
		*-security) uri=$(debian_apt_security_uri) ;;
		*) uri=$(debian_apt_uri) ;;
		esac
		echo "deb [signed-by=$key] $uri $suite main" >>"$dir/sources.list"
	done
	[ -s "$dir/sources.list" ] || { echo "debian-apt: no suite given" >&2 && return 1; }
	DEBIAN_APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache")
	[ "$arch" = all ] || DEBIAN_APT_OPTS+=(-o "APT::Architecture=$arch")
	# apt downloads as _apt; where _apt cannot reach DIR (a parent made by
	# mktemp -d is 0700), it would warn and download as root anyway: say so
	# instead of warning (signatures are checked either way).
	if ! runuser -u _apt -- test -w "$dir/lists/partial" 2>/dev/null; then
		DEBIAN_APT_OPTS+=(-o APT::Sandbox::User=root)
	fi
	if ! apt-get "${DEBIAN_APT_OPTS[@]}" update >"$dir/update.log" 2>&1 ||
		grep -qE '^(W|E|Err):' "$dir/update.log"; then
		cat "$dir/update.log" >&2
		echo "debian-apt: apt-get update of $suites failed or warned (see above)" >&2
		return 1
	fi
}

debian_apt_version() {
	apt-cache "${DEBIAN_APT_OPTS[@]}" policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)'
}

debian_apt_download() {
	local pkg=$1 dest=$2 ver deb
	ver=$(debian_apt_version "$pkg") || return 1
	mkdir -p "$dest"
	# _apt must be able to write there, or apt warns and downloads unsandboxed.
	chown _apt "$dest" 2>/dev/null || true
	runuser -u _apt -- test -w "$dest" 2>/dev/null || DEBIAN_APT_OPTS+=(-o APT::Sandbox::User=root)
	(cd "$dest" && apt-get "${DEBIAN_APT_OPTS[@]}" download "$pkg=$ver" >"$dest/download.log" 2>&1) ||
		{ cat "$dest/download.log" >&2; return 1; }
	deb=$(ls "$dest/${pkg}_"*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] || return 1
	echo "$deb"
}
