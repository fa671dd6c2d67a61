# Sourced by the benchmarks: a private Podman's containers.conf in DIR.
# podman_conf DIR: cgroupfs and file events (no systemd here), temp, volume
# and network config dirs under DIR, and ulimits within the hard limits
# (root here may lack CAP_SYS_RESOURCE: Podman's defaults for root,
# nofile=1048576 and nproc=max, would fail in setrlimit).
podman_conf() {
  local d=$1 nofile nproc
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] && nproc=32768; [ "$nproc" -gt 32768 ] && nproc=32768
  mkdir -p "$d"
  cat > "$d/containers.conf" <<EOT
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
tmp_dir = "$d/tmp"
image_copy_tmp_dir = "$d/tmp"
volume_path = "$d/volumes"
runtime = "runc"
[network]
network_config_dir = "$d/networks"
EOT
}
