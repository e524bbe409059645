"""Reviewing a pull request inside GitHub Actions.

``options`` holds what the command was asked, ``event`` reads what the runner says,
``client`` is the one HTTP choke point for GitHub, ``payloads`` renders (purely) what is
posted and reads back what was, and ``publish`` runs the workflow: review the pull request,
post, retry a refused review.
"""
