# free_port: prints a port nobody listens on (TCP or UDP), for tests and
# benchmarks. Random, so runs side by side differ, and in 11000-30999:
# below the kernel's ephemeral range (32768 and up by default), where
# outgoing connections take ports at any moment.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$(( (RANDOM * 32768 + RANDOM) % 20000 + 11000 ))
		if ! ss -Hlnu "sport = :$p" | grep -q . &&
		   ! ss -Hlnt "sport = :$p" | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
