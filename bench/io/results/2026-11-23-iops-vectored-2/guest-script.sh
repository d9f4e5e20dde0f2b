echo XENON-IO-STAT limits - vda $(cd /sys/block/vda/queue && for f in max_sectors_kb max_hw_sectors_kb max_segments max_segment_size nr_requests; do echo $f $(cat $f); done) || true
grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT before randread-4k-qd32 diskstats /' || true
grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT before randread-4k-qd32 irq /' || true
xenon-io fio randread-4k-qd32 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=randread --bs=4k --iodepth=32
grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT after randread-4k-qd32 diskstats /' || true
grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT after randread-4k-qd32 irq /' || true
grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT before randwrite-4k-qd32 diskstats /' || true
grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT before randwrite-4k-qd32 irq /' || true
xenon-io fio randwrite-4k-qd32 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=randwrite --bs=4k --iodepth=32
grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT after randwrite-4k-qd32 diskstats /' || true
grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT after randwrite-4k-qd32 irq /' || true
grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT before randread-4k-qd1 diskstats /' || true
grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT before randread-4k-qd1 irq /' || true
xenon-io fio randread-4k-qd1 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=randread --bs=4k --iodepth=1
grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT after randread-4k-qd1 diskstats /' || true
grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT after randread-4k-qd1 irq /' || true
grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT before randwrite-4k-qd1 diskstats /' || true
grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT before randwrite-4k-qd1 irq /' || true
xenon-io fio randwrite-4k-qd1 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=randwrite --bs=4k --iodepth=1
grep ' vda ' /proc/diskstats | sed 's/^ */XENON-IO-STAT after randwrite-4k-qd1 diskstats /' || true
grep -E 'virtio[0-9]+-(req|config)' /proc/interrupts | sed 's/^/XENON-IO-STAT after randwrite-4k-qd1 irq /' || true
