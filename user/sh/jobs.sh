#!/bin/sh
# jobs.sh - a shell script that leans on processes: pipes, background jobs,
# wait, exit statuses, arithmetic, /proc. busybox sh runs it on Quiesce
# (suite busybox-script, tools/suites.py) and on this host (suite
# host-busybox-script); both must print the same lines, listed there.
set -u
echo "arith $((6 * 7)) $(( (1 << 10) % 1000 ))"
n=$(seq 1 100 | grep 7 | wc -l)
echo "pipe $n"
echo x | false; echo "pipeline $?"
false; echo "false $?"
(exit 3); echo "subshell $?"
sh -c 'exit 42'; echo "child $?"
sh -c 'kill -9 $$'; echo "killed $?"
sleep 1 & a=$!
(exit 5) & b=$!
wait $b; echo "wait b $?"
wait $a; echo "wait a $?"
sum=0; for i in 1 2 3 4; do sum=$((sum + i)); done; echo "loop $sum"
cat <<END
heredoc through cat
END
[ -r /proc/$$/status ] && echo "proc status readable"
read -r pid rest < /proc/self/stat
[ "$pid" = "$$" ] && echo "proc self is the shell"
ppid=$(grep '^PPid:' /proc/self/status)
[ "${ppid##*[[:space:]]}" = "$$" ] && echo "a child's parent is the shell"
echo "exe $(readlink /proc/self/exe | grep -c busybox)"
echo done
