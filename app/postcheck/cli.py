"""`postready post-checks ...`: the checker service."""
import click

post_checks_cli = click.Group("post-checks", help="The pre-publish post checker.")


@post_checks_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback or a private address only.")
@click.option("--port", default=5170, show_default=True, type=int)
def post_checks_serve(host, port):
    """Serve checks to web workers that have POST_CHECK_URL (the language model loads here, once)."""
    import logging

    from werkzeug.serving import run_simple

    from app.postcheck.analyzer import engine
    from app.postcheck.remote import checker_app

    engine()  # load before the first request
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request lines: nothing about a draft is logged
    click.echo(f"Post checker on http://{host}:{port}/ (POST_CHECK_URL=http://{host}:{port})")
    run_simple(host, port, checker_app(), threaded=True)
