complete --keep-order --exclusive --command connectctl --arguments "(COMPLETE=fish connectctl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
