# sna_brokerage_bench.R - the peer of run.sh's brokerage row: times R's
# sna::brokerage on a graph written by gengraph.py and prints its values.
#
# Usage: Rscript sna_brokerage_bench.R GRAPH_TXT REPS OUTPUT
# GRAPH_TXT: line 1 N; line 2 the N sectors; then "from to" arcs, 0-based.
# The graph is handed to sna as an sna edge list (a three-column matrix with
# attribute "n"), which sna::brokerage takes as it is (a 20k x 20k adjacency
# matrix would need 3 GB). Only the brokerage() call is timed (elapsed
# seconds of system.time), REPS times, after the data are read.
# OUTPUT: line 1 "times T1 T2 ..."; then N lines for the vertices in order
# and one for the network, each with the 6 raw counts and, for each role,
# expected value, sd and z (as tests/plugins/sna_brokerage.R), in %.17g.
suppressPackageStartupMessages(library(sna))
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 3)
reps <- as.integer(args[2])
con <- file(args[1], "r")
N <- as.integer(readLines(con, n = 1))
cl <- strsplit(trimws(readLines(con, n = 1)), " ", fixed = TRUE)[[1]]
arcs <- scan(con, what = list(integer(), integer()), quiet = TRUE)
close(con)
stopifnot(length(cl) == N)
el <- cbind(arcs[[1]] + 1, arcs[[2]] + 1, 1)
attr(el, "n") <- N
times <- numeric(reps)
for (k in seq_len(reps)) {
    gc()
    times[k] <- system.time(b <- brokerage(el, cl))[["elapsed"]]
}
fmt <- function(x) sprintf("%.17g", x)
row <- function(raw, e, sd, z) {
    paste(c(fmt(raw), as.vector(rbind(fmt(e), fmt(sd), fmt(z)))),
          collapse = " ")
}
out <- character(N + 2)
out[1] <- paste(c("times", fmt(times)), collapse = " ")
for (i in seq_len(N))
    out[i + 1] <- row(b$raw.nli[i, ], b$exp.nli[i, ], b$sd.nli[i, ],
                      b$z.nli[i, ])
out[N + 2] <- row(b$raw.gli, b$exp.gli, b$sd.gli, b$z.gli)
writeLines(out, args[3])
