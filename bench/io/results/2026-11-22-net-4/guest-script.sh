xenon-io net 10.0.0.2/24 10.0.0.1
xenon-io iperf iperf-g2h -c 10.0.0.1 -t 15 -O 1
xenon-io iperf iperf-h2g -c 10.0.0.1 -t 15 -O 1 -R
