# free_port [N]: prints a port nobody listens on (TCP or UDP), with the
# N - 1 after it free too (1 by default), for tests and
# benchmarks. Random, so runs side by side differ, and in 11000-22999:
# below the kernel's ephemeral range (32768 and up by default), where
# outgoing connections take ports at any moment, and apart from
# free_media_port's (a caucusd's SIP, HTTP or BFCP port picked by one
# test never takes the RTP port a sipp of another was given).
free_port() {
	local p n=${1:-1} last
	for _ in $(seq 1 200); do
		# (all N below 23000)
		p=$(( (RANDOM * 32768 + RANDOM) % (12001 - n) + 11000 ))
		last=$((p + n - 1))
		if ! ss -Hlnu "sport >= :$p and sport <= :$last" | grep -q . &&
		   ! ss -Hlnt "sport >= :$p and sport <= :$last" | grep -q .
		then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# baresip_ports CONFIG: baresip's ports in its config file, picked free
# now: its SIP port and the next (it listens for TLS there, and a taken one
# fails its start), and 20 for its RTP and RTCP. A client started long
# after its config was written calls this first (a port free then may be
# another test's since).
baresip_ports() {
	local sip rtp
	sip=$(free_port 2) && rtp=$(free_port 20) || return 1
	sed -i -e "s/^sip_listen .*/sip_listen 127.0.0.1:$sip/" \
		-e "s/^rtp_ports .*/rtp_ports $rtp-$((rtp + 19))/" "$1"
}

# free_media_port: a port P where P to P+3 are free, for sipp's -mp (it
# binds audio RTP and RTCP at P and P+1 and video at P+2 and P+3, and
# exits when any of them is taken): in 23000-30999, a multiple of 4 there,
# so that two picks never overlap
free_media_port() {
	local p k ok
	for _ in $(seq 1 200); do
		p=$(( ((RANDOM * 32768 + RANDOM) % 2000) * 4 + 23000 ))
		ok=1
		for k in 0 1 2 3; do
			if ss -Hlnu "sport = :$((p + k))" | grep -q . ||
			   ss -Hlnt "sport = :$((p + k))" | grep -q .; then
				ok=0
				break
			fi
		done
		if [ "$ok" = 1 ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
