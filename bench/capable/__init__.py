"""The capable stand-in suite: relay-git against a loopback stand-in for a strong model.

No capable model can run here, so ``server.py`` stands in for one on 127.0.0.1, speaking
the OpenAI Chat Completions wire format; ``brain.py`` decides what each request asks for
the way a model would (role from the model name, stage from the ``response_format``
schema, files from the request) and answers with what a strong coding model writes for
the task, scripted per task in ``tasks/*.toml`` (``script.py`` reads them). ``run.py``
runs ``relay-git scaffold`` on every task and judges the branch, never the run's report.
"""
