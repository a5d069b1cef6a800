# sna_qap_bench.R - the peer of run.sh's qap row: times R's
# sna::qaptest(gcor) on the two windows written by gen_change.py.
#
# Usage: Rscript sna_qap_bench.R GRAPH_TXT REPS PERMS OUTPUT
# Only the qaptest() call is timed (elapsed seconds of system.time), REPS
# times, after the matrices are built. OUTPUT: "times T1 T2 ...", then
# "gcor G", "p P" (pgreq of the last run), in %.17g.
suppressPackageStartupMessages(library(sna))
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 4)
reps <- as.integer(args[2])
perms <- as.integer(args[3])
lines <- readLines(args[1])
N <- as.integer(lines[1])
f <- do.call(rbind, strsplit(lines[-1], " ", fixed = TRUE))
b <- matrix(0, N, N)
a <- matrix(0, N, N)
for (tag in c("b", "a")) {
    e <- f[f[, 1] == tag, , drop = FALSE]
    i <- as.integer(e[, 2])
    j <- as.integer(e[, 3])
    m <- matrix(0, N, N)
    m[cbind(i, j)] <- 1
    m[cbind(j, i)] <- 1
    if (tag == "b") b <- m else a <- m
}
set.seed(1)
times <- numeric(reps)
for (k in seq_len(reps)) {
    gc()
    times[k] <- system.time(q <- qaptest(list(b, a), gcor, g1 = 1, g2 = 2,
                                         reps = perms))[["elapsed"]]
}
fmt <- function(x) sprintf("%.17g", x)
writeLines(c(paste("times", paste(fmt(times), collapse = " ")),
             paste("gcor", fmt(q$testval)), paste("p", fmt(q$pgreq))),
           args[4])
