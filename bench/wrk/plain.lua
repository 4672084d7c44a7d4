-- A fixed request (the URL's path and wrk's -H headers), reported by report.lua.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
