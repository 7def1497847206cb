"""The Faust stages of architecture.md, one thin module each: decode -> call the core -> emit."""
