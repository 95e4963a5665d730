module dsai/sched-slice

go 1.22
