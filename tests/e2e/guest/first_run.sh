#!/bin/sh
# The first-run experience, run in the kclient guest (cwd = the NFS mount)
# against a ferryd started as scripts/run.sh starts it: no config file, so
# the embedded default export (./export, created by ferryd) with root
# squashed to nobody.  As root, the guest creates, writes, reads back, lists
# and removes a file and a directory (with a file in it): what a user who
# just mounted the default expects to be able to do.  Prints the owner the
# server gave the file (squashed root: nobody) for the log.
# Prints "E2E PASS|FAIL first-run vers=<v>: ..." lines; exits 1 on failure.
v=${KCLIENT_VERS:-?}
failed=0
pass() { echo "E2E PASS first-run-$1 vers=$v: $2"; }
fail() { echo "E2E FAIL first-run-$1 vers=$v: $2"; failed=1; }
cd "${KCLIENT_MNT:-.}" || { echo "E2E FAIL first-run vers=$v: cannot cd to the mount"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "E2E FAIL first-run vers=$v: the guest script is not root"; exit 1; }

f=first-run-file.$$
d=first-run-dir.$$
if err=$(touch "$f" 2>&1); then pass touch "touch $f as root"; else fail touch "touch $f: $err"; fi
if err=$(sh -c "echo 'hello from root' > '$f'" 2>&1); then
	got=$(cat "$f" 2>&1)
	[ "$got" = "hello from root" ] && pass write "wrote and read back $f" ||
		fail write "read back '$got'"
else
	fail write "write $f: $err"
fi
echo "E2E INFO first-run vers=$v: $f is $(ls -ln "$f" 2>&1)"
ls | grep -qx "$f" && pass list "ls shows $f" || fail list "ls does not show $f: $(ls 2>&1)"
if err=$(rm "$f" 2>&1) && [ ! -e "$f" ]; then pass rm "removed $f"; else fail rm "rm $f: $err"; fi

if err=$(mkdir "$d" 2>&1); then
	pass mkdir "mkdir $d as root"
	if err=$(sh -c "echo inside > '$d/in'" 2>&1) && [ "$(cat "$d/in" 2>&1)" = inside ]; then
		pass dir-file "wrote and read back $d/in"
	else
		fail dir-file "$d/in: $err"
	fi
	ls "$d" | grep -qx in && pass dir-list "ls $d shows in" || fail dir-list "ls $d: $(ls "$d" 2>&1)"
	ls | grep -qx "$d" && pass list-dir "ls shows $d" || fail list-dir "ls does not show $d"
	if err=$(rm "$d/in" 2>&1 && rmdir "$d" 2>&1) && [ ! -e "$d" ]; then
		pass rmdir "removed $d"
	else
		fail rmdir "rm $d/in, rmdir $d: $err"
	fi
else
	fail mkdir "mkdir $d: $err"
fi
[ $failed -eq 0 ] && echo "E2E PASS first-run vers=$v: root can use the default export"
exit $failed
