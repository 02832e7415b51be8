from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import record
from app.auth import ensure_or_404, permission_required
from app.certificates.codes import as_typed_html, grouped_html, no_match_message
from app.certificates.forms import RevokeForm
from app.certificates.models import Certificate, CertificatePdf
from app.certificates.rules import download_is_audited
from app.certificates.services import (
    CertificateError,
    StoredPdf,
    certificate_by_typed_code,
    download_link_url_token,
    render_missing_pdfs,
    revoke_certificate,
    signing_key,
    store_pdfs,
    stored_pdf,
    stored_pdf_by_link,
)
from app.certificates.signing import b64url
from app.certificates.verification import verify
from app.extensions import db, limiter
from app.permissions import can_revoke_certificates, can_view_certificate, can_view_certificate_held_by
from app.sqlite import writes_db
from app.timestamps import utcnow

bp = Blueprint("certificates", __name__, template_folder="templates")
bp.add_app_template_filter(grouped_html, "grouped_code")  # shown in groups of four, to read aloud


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


def _unknown_code(code: str):
    """The one answer for every code that matches no certificate, whatever its shape (no oracle)."""
    return render_template("certificates/lookup.html", code=code, shown=as_typed_html(code), unknown=True), 404


def _verified(certificate: Certificate):
    """The check of this certificate, recorded (a public verification is an access to the record)."""
    result = verify(certificate, utcnow())
    record("certificate.verified", actor_label="public", subject_type="certificate", subject_id=result.certificate.id,
           at=result.checked_at, details={"status": result.status.value})
    db.session.commit()
    return result


@bp.get("/verify/<code>")
@limiter.limit(_verify_limit)
@writes_db
def verify_page(code: str):
    certificate = certificate_by_typed_code(code)
    if certificate is None:
        return _unknown_code(code)
    if certificate.code != code:  # typed in groups or another case: the address the QR code opens
        return redirect(url_for(".verify_page", code=certificate.code))
    result = _verified(certificate)
    return render_template("certificates/verify.html", result=result, certificate=certificate)


@bp.get("/verify")
@limiter.limit(_verify_limit)
def lookup():
    """A form to type (or paste) a certificate's code or its verification address."""
    typed = request.args.get("code", "").strip()
    if not typed:
        return render_template("certificates/lookup.html", code="", unknown=False)
    code = typed.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json")  # a pasted address works too
    if not code:  # "/" and the like: no code in it
        return _unknown_code(typed)
    return redirect(url_for(".verify_page", code=code))


@bp.get("/verify/<code>.json")
@limiter.limit(_verify_limit)
@writes_db
def verify_json(code: str):
    certificate = certificate_by_typed_code(code)
    if certificate is None:
        return jsonify(error={"status": 404, "message": no_match_message(code)}), 404
    return jsonify(_verified(certificate).as_json())


@bp.get("/certificates/public-key.pem")
def public_key_pem():
    return Response(signing_key().public_pem(), mimetype="application/x-pem-file")


@bp.get("/certificates/public-key.json")
def public_key_jwk():
    from cryptography.hazmat.primitives import serialization

    key = signing_key()
    raw = key.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return jsonify(kty="OKP", crv="Ed25519", x=b64url(raw), kid=key.key_id, alg="EdDSA", use="sig")


def _viewable(certificate_id: int) -> Certificate:
    certificate = db.session.get(
        Certificate, certificate_id, options=[selectinload(Certificate.revocation), selectinload(Certificate.user)]
    )
    ensure_or_404(certificate is not None and can_view_certificate(current_user, certificate))
    return certificate


@bp.get("/certificates/<int:certificate_id>")
@login_required
def detail(certificate_id: int):
    certificate = _viewable(certificate_id)
    if download_is_audited(current_user.id, certificate.user_id):  # anyone else's: the signed-in route
        download_url = url_for(".download", certificate_id=certificate.id)
    else:  # the holder's own: a link that needs no session lookup
        download_url = url_for(".download_by_link", certificate_id=certificate.id,
                               token=download_link_url_token(current_user, certificate))
    return render_template("certificates/detail.html", certificate=certificate, download_url=download_url,
                           result=verify(certificate, utcnow()), form=RevokeForm())


def download_headers(pdf: StoredPdf) -> dict[str, str]:
    return {
        "Content-Type": "application/pdf",
        "Content-Disposition":
            f'attachment; filename="postready-certificate-{pdf.certification_slug}-{pdf.issued_at:%Y-%m-%d}.pdf"',
        "Cache-Control": "no-store",
        "ETag": f'"{pdf.sha256}"',
    }


@bp.get("/certificates/<int:certificate_id>/pdf")
@login_required
@writes_db
def download(certificate_id: int):
    """The stored PDF; the holder's own download stays a pure read (rules.download_is_audited)."""
    found = stored_pdf(certificate_id)
    ensure_or_404(found is not None
                  and can_view_certificate_held_by(current_user, db.session.get(User, found.user_id)))
    if found.content is None:  # the process that issued it stopped before storing its PDF: render it now, once
        store_pdfs(render_missing_pdfs([certificate_id]))
        pdf = db.session.get(CertificatePdf, certificate_id)  # whoever stored it first
        found = StoredPdf(found.user_id, found.certification_slug, found.issued_at, pdf.content, pdf.sha256)
    if download_is_audited(current_user.id, found.user_id):
        record("export.downloaded", actor=current_user, subject_type="certificate", subject_id=certificate_id,
               details={"export": "certificate-pdf"})
    db.session.commit()
    return Response(found.content, headers=download_headers(found))


@bp.get("/certificates/<int:certificate_id>/pdf/<token>")
def download_by_link(certificate_id: int, token: str):
    """The holder's own PDF by the signed link on their certificate page (app.certificates.links).
    A link that cannot be served (expired, forged, signed out since, not stored yet) sends the
    browser to the signed-in route, which decides."""
    found = stored_pdf_by_link(certificate_id, token)
    if found is None:
        return redirect(url_for(".download", certificate_id=certificate_id))
    return Response(found.content, headers=download_headers(found))


@bp.post("/certificates/<int:certificate_id>/revoke")
@permission_required(can_revoke_certificates)
def revoke(certificate_id: int):
    certificate = _viewable(certificate_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            revoke_certificate(current_user, certificate, form.reason.data, utcnow())
        except CertificateError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Certificate revoked. Verification shows it as revoked from now on.", "success")
            return redirect(url_for("certificates.detail", certificate_id=certificate.id))
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors) or "Give a reason.", "error")
    return render_template("certificates/detail.html", certificate=certificate,
                           result=verify(certificate, utcnow()), form=form), 400
