# sna_change.R - the reference side of test_change.py: R's sna on two
# windows of one network.
#
# Usage: Rscript sna_change.R REPS INPUT OUTPUT [INPUT OUTPUT ...]
# INPUT: line 1 N; then "b i j" (a baseline tie) or "a i j" (a main-window
# tie), 1-based, each unordered tie once. OUTPUT: one line, "hdist gcor
# pgreq" in %.17g: sna::hdist(mode = "graph") of the two symmetric
# adjacency matrices, sna::gcor of them, and sna::qaptest(gcor, reps =
# REPS)$pgreq.
suppressPackageStartupMessages(library(sna))
args <- commandArgs(trailingOnly = TRUE)
reps <- as.integer(args[1])
args <- args[-1]
stopifnot(length(args) >= 2, length(args) %% 2 == 0)
set.seed(1)
one <- function(input, output) {
    lines <- readLines(input)
    N <- as.integer(lines[1])
    b <- matrix(0, N, N)
    a <- matrix(0, N, N)
    for (l in lines[-1]) {
        f <- strsplit(l, " ")[[1]]
        i <- as.integer(f[2])
        j <- as.integer(f[3])
        if (f[1] == "b") { b[i, j] <- 1; b[j, i] <- 1 }
        else { a[i, j] <- 1; a[j, i] <- 1 }
    }
    h <- hdist(b, a, mode = "graph")
    g <- gcor(b, a)
    q <- qaptest(list(b, a), gcor, g1 = 1, g2 = 2, reps = reps)
    writeLines(paste(sprintf("%.17g", c(h, g, q$pgreq)), collapse = " "),
               output)
}
for (k in seq(1, length(args), by = 2)) one(args[k], args[k + 1])
