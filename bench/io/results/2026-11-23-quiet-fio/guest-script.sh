xenon-io fio seqread-1m-qd16 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=read --bs=1M --iodepth=16
xenon-io fio seqwrite-1m-qd16 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=write --bs=1M --iodepth=16
xenon-io fio randread-4k-qd32 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=randread --bs=4k --iodepth=32
xenon-io fio randwrite-4k-qd32 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=randwrite --bs=4k --iodepth=32
xenon-io fio randread-4k-qd1 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=randread --bs=4k --iodepth=1
xenon-io fio randwrite-4k-qd1 --filename=/dev/vda --ioengine=libaio --direct=1 --time_based=1 --runtime=10 --ramp_time=2 --size=512M --rw=randwrite --bs=4k --iodepth=1
