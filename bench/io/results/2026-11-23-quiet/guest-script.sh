xenon-io net 10.0.0.2/24 10.0.0.1
grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT before iperf-g2h irq /' || true
for d in /sys/class/net/e*; do echo XENON-IO-STAT before iperf-g2h nic ${d##*/} tx $(cat $d/statistics/tx_packets) rx $(cat $d/statistics/rx_packets); done || true
grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT before iperf-g2h snmp /' || true
echo XENON-IO-STAT before iperf-g2h clock $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) idle $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null) || true
grep '^cpu ' /proc/stat | sed 's/^/XENON-IO-STAT before iperf-g2h /' || true
grep -E '^ *(LOC|RES|CAL|TLB|SPU):' /proc/interrupts | sed 's/^/XENON-IO-STAT before iperf-g2h irq /' || true
xenon-io iperf iperf-g2h -c 10.0.0.1 -t 10 -O 1
grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT after iperf-g2h irq /' || true
for d in /sys/class/net/e*; do echo XENON-IO-STAT after iperf-g2h nic ${d##*/} tx $(cat $d/statistics/tx_packets) rx $(cat $d/statistics/rx_packets); done || true
grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT after iperf-g2h snmp /' || true
echo XENON-IO-STAT after iperf-g2h clock $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) idle $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null) || true
grep '^cpu ' /proc/stat | sed 's/^/XENON-IO-STAT after iperf-g2h /' || true
grep -E '^ *(LOC|RES|CAL|TLB|SPU):' /proc/interrupts | sed 's/^/XENON-IO-STAT after iperf-g2h irq /' || true
grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT before iperf-h2g irq /' || true
for d in /sys/class/net/e*; do echo XENON-IO-STAT before iperf-h2g nic ${d##*/} tx $(cat $d/statistics/tx_packets) rx $(cat $d/statistics/rx_packets); done || true
grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT before iperf-h2g snmp /' || true
echo XENON-IO-STAT before iperf-h2g clock $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) idle $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null) || true
grep '^cpu ' /proc/stat | sed 's/^/XENON-IO-STAT before iperf-h2g /' || true
grep -E '^ *(LOC|RES|CAL|TLB|SPU):' /proc/interrupts | sed 's/^/XENON-IO-STAT before iperf-h2g irq /' || true
xenon-io iperf iperf-h2g -c 10.0.0.1 -t 10 -O 1 -R
grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT after iperf-h2g irq /' || true
for d in /sys/class/net/e*; do echo XENON-IO-STAT after iperf-h2g nic ${d##*/} tx $(cat $d/statistics/tx_packets) rx $(cat $d/statistics/rx_packets); done || true
grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT after iperf-h2g snmp /' || true
echo XENON-IO-STAT after iperf-h2g clock $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) idle $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null) || true
grep '^cpu ' /proc/stat | sed 's/^/XENON-IO-STAT after iperf-h2g /' || true
grep -E '^ *(LOC|RES|CAL|TLB|SPU):' /proc/interrupts | sed 's/^/XENON-IO-STAT after iperf-h2g irq /' || true
