# What the demo container prints about itself (runs under busybox sh inside it).
echo "hostname:     $(hostname)"
echo "user:         $(id)"
grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status | sed 's/^/status:       /'
echo "ulimit -n:    $(ulimit -n)"
touch /should-fail 2>/dev/null && echo "root:         writable (unexpected)" || echo "root:         read-only"
echo "/tmp:         $(df -k /tmp | awk 'NR==2 {print $2 " KiB"}') $(grep ' /tmp ' /proc/self/mountinfo | awk '{print $6}')"
echo "hello from the container" > /data/hello.txt && echo "/data:        wrote hello.txt"
echo "network:      $(ip -4 -o addr show | awk '{print $2, $4}' | tr '\n' ' ')"
echo "pid 1:        $(cat /proc/1/comm) (I am pid $$)"
