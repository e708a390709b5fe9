# Acknowledged writes, for the guest scripts that take a server away under a
# writing client (crash_restart.sh, failover.sh); sourced, not run.  It
# comes into the guest by kclient --file (KCLIENT_FILES) beside the script.
#
# A writer appends 64-byte records ("%063d\n" of the record's number),
# record i at offset 64*i, each written by its own dd with conv=fsync (an
# OPEN, WRITE, COMMIT and CLOSE on the wire), and notes every one dd
# reported done, with its time, on the guest's own disk.  Afterwards the
# notes give the longest stall (the longest time between two acknowledged
# writes) and the file must hold every acknowledged record.

# Seconds since boot in hundredths.
aw_now() {
	local up _
	read -r up _ </proc/uptime
	echo "${up/./}"
}

# Hundredths as seconds with two decimals.
aw_secs() { awk -v s="$1" 'BEGIN { printf "%.2f", s / 100 }'; }

aw_record() { printf '%063d\n' "$1"; }

# aw_writer FILE ACKED STOP LABEL: writes records into FILE until the file
# STOP exists, one line "i time" in ACKED per acknowledged record.  A failed
# write is reported (E2E INFO LABEL: ...) and tried again a second later.
aw_writer() {
	local file=$1 acked=$2 stop=$3 label=$4 i=0 rec
	rec=$(mktemp /tmp/aw.rec.XXXXXX) || return 1
	while [ ! -e "$stop" ]; do
		aw_record "$i" >"$rec"
		if dd if="$rec" of="$file" bs=64 count=1 seek="$i" \
			conv=notrunc,fsync 2>/dev/null; then
			echo "$i $(aw_now)" >>"$acked"
			i=$((i + 1))
		else
			echo "E2E INFO $label: write of record $i failed; again"
			sleep 1
		fi
	done
	rm -f "$rec"
}

# aw_stall ACKED: the longest time between two acknowledged writes, in
# hundredths.
aw_stall() {
	awk 'NR > 1 && $2 - last > max { max = $2 - last } { last = $2 } END { print max + 0 }' "$1"
}

# aw_stall_end ACKED: the time (hundredths since boot) of the acknowledged
# write that ended the longest stall.
aw_stall_end() {
	awk 'NR > 1 && $2 - last > max { max = $2 - last; at = $2 } { last = $2 } END { print at + 0 }' "$1"
}

# aw_gaps ACKED REF COUNT: the COUNT longest times between two acknowledged
# writes, longest first, each as "S s (+A..+B)": from A to B seconds from
# REF (hundredths since boot, as aw_now).
aw_gaps() {
	awk -v ref="$2" 'NR > 1 { printf "%d %d %d\n", $2 - last, last - ref, $2 - ref } { last = $2 }' "$1" |
		sort -rn | head -n "$3" |
		awk '{ printf "%s%.2f s (%+.2f..%+.2f)", (NR > 1 ? ", " : ""), $1 / 100, $2 / 100, $3 / 100 }'
}

# aw_stalled ACKED MIN: the time, in hundredths, spent in stalls longer
# than MIN hundredths (one write going through does not end an outage).
aw_stalled() {
	awk -v min="$2" 'NR > 1 && $2 - last > min { sum += $2 - last } { last = $2 } END { print sum + 0 }' "$1"
}

# aw_lost FILE N: how many of records 0..N-1 FILE does not hold intact,
# read past the page cache.  A record past the file's end counts as lost.
aw_lost() {
	local file=$1 n=$2 size whole expect
	sync
	echo 3 >/proc/sys/vm/drop_caches
	size=$(stat -c %s "$file" 2>/dev/null || echo 0)
	whole=$((size / 64))
	[ "$whole" -gt "$n" ] && whole=$n
	expect=$(mktemp /tmp/aw.expect.XXXXXX) || return 1
	local i=0
	while [ $i -lt "$whole" ]; do
		aw_record "$i"
		i=$((i + 1))
	done >"$expect"
	# cmp -l lists every differing byte (1-based offsets): count the
	# records they fall in, then add the records the file is too short for.
	cmp -l -n $((whole * 64)) "$expect" "$file" 2>/dev/null |
		awk -v short=$((n - whole)) 'BEGIN { last = -1 }
			{ r = int(($1 - 1) / 64); if (r != last) { bad++; last = r } }
			END { print bad + short }'
	rm -f "$expect"
}
