# sna_brokerage.R - the reference side of test_brokerage_sna.py: runs R's
# sna::brokerage on a network and prints every value it reports.
#
# Usage: Rscript sna_brokerage.R INPUT OUTPUT [INPUT OUTPUT ...]
# (several networks per call: R and sna take a second to load).
# INPUT (text, whitespace separated):
#   line 1   N
#   line 2   the N group labels of vertices 1..N (no spaces inside a label)
#   then     one arc per line, "from to", 1-based vertex numbers
# OUTPUT: N lines for the vertices in input order, then one line for the
# network, each with 24 numbers: the raw counts of the six roles (w_I, w_O,
# b_IO, b_OI, b_O, t), then for each role its expected value, sd and z, in
# %.17g (R writes NaN, Inf, -Inf, NA for the undefined).
suppressPackageStartupMessages(library(sna))
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) >= 2, length(args) %% 2 == 0)

fmt <- function(x) sprintf("%.17g", x)
row <- function(raw, e, sd, z) {
    paste(c(fmt(raw), as.vector(rbind(fmt(e), fmt(sd), fmt(z)))),
          collapse = " ")
}

one <- function(input, output) {
    lines <- readLines(input)
    N <- as.integer(lines[1])
    cl <- strsplit(trimws(lines[2]), "[[:space:]]+")[[1]]
    stopifnot(length(cl) == N)
    g <- matrix(0, N, N)
    if (length(lines) > 2) {
        arcs <- do.call(rbind, lapply(strsplit(trimws(lines[-(1:2)]),
                                               "[[:space:]]+"), as.integer))
        g[arcs] <- 1
    }
    b <- brokerage(g, cl)
    out <- character(N + 1)
    for (i in seq_len(N))
        out[i] <- row(b$raw.nli[i, ], b$exp.nli[i, ], b$sd.nli[i, ],
                      b$z.nli[i, ])
    out[N + 1] <- row(b$raw.gli, b$exp.gli, b$sd.gli, b$z.gli)
    writeLines(out, output)
}

for (k in seq(1, length(args), by = 2))
    one(args[k], args[k + 1])
