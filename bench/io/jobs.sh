# shellcheck shell=bash disable=SC2034  # the variables are for the scripts that source this
# jobs.sh - the I/O benchmark's job table, sourced by run.sh, l1-io.sh and summarize.sh so the
# host, QEMU and Xenon runs of a job are the same fio or iperf3 invocation.
#
# fio jobs run on the whole 512 MiB raw disk: in the guest /dev/vda, on the nested host the disk
# file itself, always O_DIRECT through libaio. iperf3 jobs are named for the direction data flows.

IO_FIO_JOBS="seqread-1m-qd16 seqwrite-1m-qd16 randread-4k-qd32 randwrite-4k-qd32 randread-4k-qd1 randwrite-4k-qd1"
IO_NET_JOBS="iperf-g2h iperf-h2g"
IO_DISK_MIB=512
IO_RAMP_S=2
IO_HOST_IP=10.0.0.1
IO_GUEST_IP=10.0.0.2
IO_PREFIX=24

# io_job_kind NAME -> fio | iperf (fails for an unknown name)
io_job_kind() {
    case " $IO_FIO_JOBS " in *" $1 "*) echo fio; return 0 ;; esac
    case " $IO_NET_JOBS " in *" $1 "*) echo iperf; return 0 ;; esac
    return 1
}

# io_fio_args NAME RUNTIME_S -> fio arguments other than --name, --filename and --output-format
io_fio_args() {
    local common="--ioengine=libaio --direct=1 --time_based=1 --runtime=$2 --ramp_time=$IO_RAMP_S --size=${IO_DISK_MIB}M"
    case $1 in
        seqread-1m-qd16)   echo "$common --rw=read --bs=1M --iodepth=16" ;;
        seqwrite-1m-qd16)  echo "$common --rw=write --bs=1M --iodepth=16" ;;
        randread-4k-qd32)  echo "$common --rw=randread --bs=4k --iodepth=32" ;;
        randwrite-4k-qd32) echo "$common --rw=randwrite --bs=4k --iodepth=32" ;;
        randread-4k-qd1)   echo "$common --rw=randread --bs=4k --iodepth=1" ;;
        randwrite-4k-qd1)  echo "$common --rw=randwrite --bs=4k --iodepth=1" ;;
        *) return 1 ;;
    esac
}

# io_iperf_args NAME RUNTIME_S -> iperf3 client arguments other than --json. The client is the
# guest (the nested host for the host target); -R makes the server the sender. -O 1 leaves the
# first second (TCP slow start) out of the totals.
io_iperf_args() {
    case $1 in
        iperf-g2h) echo "-c $IO_HOST_IP -t $2 -O 1" ;;
        iperf-h2g) echo "-c $IO_HOST_IP -t $2 -O 1 -R" ;;
        *) return 1 ;;
    esac
}

# io_metric NAME -> the summary's headline unit: MB/s for sequential, IOPS for random, Gbit/s for net
io_metric() {
    case $1 in
        seq*) echo MB/s ;;
        rand*) echo IOPS ;;
        iperf-*) echo Gbit/s ;;
        *) return 1 ;;
    esac
}
