# spand.R - query spand from R through spanctl (base R has no Unix-socket
# connections). Needs the jsonlite package (Debian: r-cran-jsonlite).
#
#   source("contrib/clients/spand.R")
#   st <- spand_call("status")
#   b  <- spand_table(spand_call("analyse", list(plugin = "brokerage",
#                                                sort = "total", top = 10)))
#   head(b)
#
# Set SPAND_SOCKET, or pass socket =, to reach a daemon elsewhere.

spand_call <- function(method, params = NULL, socket = Sys.getenv("SPAND_SOCKET"),
                       spanctl = "spanctl") {
  args <- c()
  if (nzchar(socket)) args <- c("-s", socket)
  args <- c(args, "--json", "call", method)
  if (!is.null(params))
    args <- c(args, shQuote(jsonlite::toJSON(params, auto_unbox = TRUE,
                                             null = "null")))
  out <- suppressWarnings(system2(spanctl, args, stdout = TRUE, stderr = TRUE))
  status <- attr(out, "status")
  if (!is.null(status) && status != 0)
    stop(paste(out, collapse = "\n"), call. = FALSE)
  jsonlite::fromJSON(paste(out, collapse = "\n"), simplifyVector = FALSE)
}

# A result table (vertex, group, pair or network) as a data frame; JSON
# null (an undefined value) becomes NA.
spand_table <- function(result, name = "vertex") {
  t <- result$tables[[name]]
  cols <- vapply(t$columns, function(c) c$name, "")
  rows <- lapply(t$rows, function(r)
    lapply(r, function(x) if (is.null(x)) NA else x))
  df <- as.data.frame(do.call(rbind, lapply(rows, function(r)
    as.data.frame(r, col.names = cols, stringsAsFactors = FALSE))))
  if (nrow(df) == 0) df <- setNames(data.frame(matrix(ncol = length(cols),
                                                      nrow = 0)), cols)
  df
}
