"""Code generation: lower first, render last.

Each backend builds a context of plain values from the lowered graph and its
schedule, renders Jinja templates over it and returns an in-memory `Plan`
(`{relative path: text or bytes}`), which `write_plan` puts on disk
atomically. Nothing here decides a schedule; backends consume the one
`NetworkSchedule` the compiler made.
"""
