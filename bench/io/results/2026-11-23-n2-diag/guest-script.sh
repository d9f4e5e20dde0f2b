xenon-io net 10.0.0.2/24 10.0.0.1
grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT before iperf-g2h irq /' || true
for d in /sys/class/net/e*; do echo XENON-IO-STAT before iperf-g2h nic ${d##*/} tx $(cat $d/statistics/tx_packets) rx $(cat $d/statistics/rx_packets); done || true
grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT before iperf-g2h snmp /' || true
xenon-io iperf iperf-g2h -c 10.0.0.1 -t 10 -O 1
grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT after iperf-g2h irq /' || true
for d in /sys/class/net/e*; do echo XENON-IO-STAT after iperf-g2h nic ${d##*/} tx $(cat $d/statistics/tx_packets) rx $(cat $d/statistics/rx_packets); done || true
grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT after iperf-g2h snmp /' || true
grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT before iperf-h2g irq /' || true
for d in /sys/class/net/e*; do echo XENON-IO-STAT before iperf-h2g nic ${d##*/} tx $(cat $d/statistics/tx_packets) rx $(cat $d/statistics/rx_packets); done || true
grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT before iperf-h2g snmp /' || true
xenon-io iperf iperf-h2g -c 10.0.0.1 -t 10 -O 1 -R
grep -E 'virtio[0-9]+-(input|output)' /proc/interrupts | sed 's/^/XENON-IO-STAT after iperf-h2g irq /' || true
for d in /sys/class/net/e*; do echo XENON-IO-STAT after iperf-h2g nic ${d##*/} tx $(cat $d/statistics/tx_packets) rx $(cat $d/statistics/rx_packets); done || true
grep '^Tcp:' /proc/net/snmp | sed 's/^/XENON-IO-STAT after iperf-h2g snmp /' || true
