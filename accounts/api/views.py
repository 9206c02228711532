"""Sign-up, sessions, the signed-in user's profile and their garage: validate, call a service, serialize."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.api.serializers import (
    AcceptedSerializer,
    ChangeEmailSerializer,
    ChangePasswordSerializer,
    ConfirmPasswordSerializer,
    EmailVerifySerializer,
    LoginResponseSerializer,
    LoginSerializer,
    MeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    RefreshSerializer,
    RegisteredUserSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    VehicleSerializer,
)
from accounts.models import User, Vehicle, VehicleQuerySet
from accounts.permissions import IsDriver
from accounts.services import (
    email_verification_resend,
    email_verify,
    password_reset_confirm,
    password_reset_request,
    profile_update,
    token_refresh,
    user_change_email,
    user_change_password,
    user_delete_account_confirmed,
    user_login,
    user_logout,
    user_register,
    vehicle_create,
    vehicle_delete,
    vehicle_update,
)
from accounts.throttles import (
    LoginEmailThrottle,
    LoginIPThrottle,
    PasswordChangeThrottle,
    PasswordResetEmailThrottle,
    PasswordResetIPThrottle,
    RefreshIPThrottle,
    RegisterEmailThrottle,
    RegisterIPThrottle,
    VerificationResendThrottle,
)
from cardoc.serializers import error_responses
from cardoc.sync_api import BAD_IF_MATCH, ID_CONFLICT, IF_MATCH, PRECONDITION_FAILED, SyncedViewSetMixin

BAD_REQUEST = HTTPStatus.BAD_REQUEST
UNAUTHORIZED = HTTPStatus.UNAUTHORIZED
FORBIDDEN = HTTPStatus.FORBIDDEN
NOT_FOUND = HTTPStatus.NOT_FOUND
UNSUPPORTED = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
TOO_MANY = HTTPStatus.TOO_MANY_REQUESTS
NO_CONTENT = OpenApiResponse(description="Done; no body.")


class PublicAPIView(APIView):
    """An endpoint for callers without a session: a stale bearer header must not turn it into a 401."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]


@extend_schema(tags=["auth"])
class RegisterView(PublicAPIView):
    """Sign up as a driver. The email is stored lower-case and must be new in any letter case; the password
    goes through the password validators. Rate-limited per IP address and per email.
    """

    throttle_classes = [RegisterIPThrottle, RegisterEmailThrottle]

    @extend_schema(
        summary="Create a driver account",
        request=RegisterSerializer,
        responses={HTTPStatus.CREATED: RegisteredUserSerializer, **error_responses(BAD_REQUEST, UNSUPPORTED, TOO_MANY)},
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(request=request, **serializer.validated_data)
        return Response(RegisteredUserSerializer(user).data, status=HTTPStatus.CREATED)


@extend_schema(tags=["auth"])
class LoginView(PublicAPIView):
    """Exchange an email and password for an access token (Authorization: Bearer) and a refresh token.
    Suspended and closed accounts are refused. Rate-limited per IP address and per email.
    """

    throttle_classes = [LoginIPThrottle, LoginEmailThrottle]

    @extend_schema(
        summary="Sign in with email and password",
        request=LoginSerializer,
        responses={
            HTTPStatus.OK: LoginResponseSerializer,
            **error_responses(BAD_REQUEST, UNAUTHORIZED, UNSUPPORTED, TOO_MANY),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, tokens = user_login(request=request, **serializer.validated_data)
        body = {
            "access": tokens.access,
            "refresh": tokens.refresh,
            "user": MeSerializer(user.profile_or_default()).data,
        }
        return Response(body)


@extend_schema(tags=["auth"])
class RefreshView(PublicAPIView):
    """Rotate the session: the refresh token sent is revoked and a new pair comes back. Refused for a revoked
    or expired token, for an account that is no longer active and for a token older than the password.
    Presenting an already-rotated token again revokes every token of its sign-in. Rate-limited per IP.
    """

    throttle_classes = [RefreshIPThrottle]

    @extend_schema(
        summary="Swap a refresh token for a new pair (the old refresh token stops working)",
        request=RefreshSerializer,
        responses={
            HTTPStatus.OK: TokenPairSerializer,
            **error_responses(BAD_REQUEST, UNAUTHORIZED, UNSUPPORTED, TOO_MANY),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = token_refresh(request=request, **serializer.validated_data)
        return Response(TokenPairSerializer(tokens).data)


@extend_schema(tags=["auth"])
class LogoutView(APIView):
    """Revoke one of your own refresh tokens, ending that device's session."""

    @extend_schema(
        summary="Sign out this device: revoke one of your refresh tokens",
        request=RefreshSerializer,
        responses={HTTPStatus.NO_CONTENT: NO_CONTENT, **error_responses(BAD_REQUEST, UNAUTHORIZED, UNSUPPORTED)},
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_logout(user=request.user, access=request.auth, request=request, **serializer.validated_data)
        return Response(status=HTTPStatus.NO_CONTENT)


@extend_schema(tags=["me"])
class MeView(APIView):
    """The signed-in user: account fields (read-only) and profile fields (writable with PATCH)."""

    @extend_schema(
        summary="Your account and profile", responses={HTTPStatus.OK: MeSerializer, **error_responses(UNAUTHORIZED)}
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user.profile_or_default()).data)

    @extend_schema(
        summary="Change your profile",
        request=MeSerializer,
        responses={HTTPStatus.OK: MeSerializer, **error_responses(BAD_REQUEST, UNAUTHORIZED, UNSUPPORTED)},
    )
    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(request.user.profile_or_default(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = profile_update(user=request.user, request=request, **serializer.validated_data)
        return Response(MeSerializer(profile).data)

    @extend_schema(
        summary="Close your account",
        description=(
            "Deactivates the account and erases personal data: cars, diagnostics with their photos and "
            "recordings, maintenance and notifications are deleted, and every session ends. The body carries "
            "the current password, so a stolen access token alone cannot close the account."
        ),
        request=ConfirmPasswordSerializer,
        responses={HTTPStatus.NO_CONTENT: NO_CONTENT, **error_responses(BAD_REQUEST, UNAUTHORIZED, UNSUPPORTED)},
    )
    def delete(self, request: Request) -> Response:
        serializer = ConfirmPasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_delete_account_confirmed(user=request.user, request=request, **serializer.validated_data)
        return Response(status=HTTPStatus.NO_CONTENT)


@extend_schema(tags=["me"])
class EmailView(APIView):
    """Change the sign-in address; asks for the password, and signs out every device."""

    throttle_classes = [PasswordChangeThrottle]

    @extend_schema(
        summary="Change your email address (asks for your password, signs out every device)",
        request=ChangeEmailSerializer,
        responses={
            HTTPStatus.OK: MeSerializer,
            **error_responses(BAD_REQUEST, UNAUTHORIZED, UNSUPPORTED, TOO_MANY),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ChangeEmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_change_email(user=request.user, request=request, **serializer.validated_data)
        return Response(MeSerializer(user.profile_or_default()).data)


@extend_schema(tags=["me"])
class PasswordView(APIView):
    """Change the password; every refresh token and access token of the account stops working."""

    throttle_classes = [PasswordChangeThrottle]

    @extend_schema(
        summary="Change your password (signs out every device)",
        request=ChangePasswordSerializer,
        responses={
            HTTPStatus.NO_CONTENT: NO_CONTENT,
            **error_responses(BAD_REQUEST, UNAUTHORIZED, UNSUPPORTED, TOO_MANY),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = ChangePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_change_password(user=request.user, request=request, **serializer.validated_data)
        return Response(status=HTTPStatus.NO_CONTENT)


_VEHICLE_WRITE_ERRORS = error_responses(BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, UNSUPPORTED)


@extend_schema(tags=["vehicles"])
@extend_schema_view(
    list=extend_schema(
        summary="Your cars",
        responses={HTTPStatus.OK: VehicleSerializer(many=True), **error_responses(UNAUTHORIZED, FORBIDDEN)},
    ),
    create=extend_schema(
        summary="Add a car",
        description="Send `id` (a UUID the app made) to make the create safe to retry: see /sync/push.",
        responses={
            HTTPStatus.CREATED: VehicleSerializer,
            HTTPStatus.OK: OpenApiResponse(VehicleSerializer, description="Already made with this id and body."),
            **error_responses(BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, UNSUPPORTED),
            **ID_CONFLICT,
        },
    ),
    retrieve=extend_schema(
        summary="One of your cars",
        responses={HTTPStatus.OK: VehicleSerializer, **error_responses(UNAUTHORIZED, FORBIDDEN, NOT_FOUND)},
    ),
    update=extend_schema(
        summary="Replace a car's details",
        parameters=[IF_MATCH],
        responses={HTTPStatus.OK: VehicleSerializer, **_VEHICLE_WRITE_ERRORS, **PRECONDITION_FAILED},
    ),
    partial_update=extend_schema(
        summary="Change a car's details",
        parameters=[IF_MATCH],
        responses={HTTPStatus.OK: VehicleSerializer, **_VEHICLE_WRITE_ERRORS, **PRECONDITION_FAILED},
    ),
    destroy=extend_schema(
        summary="Remove a car",
        parameters=[IF_MATCH],
        responses={
            HTTPStatus.NO_CONTENT: NO_CONTENT,
            **error_responses(UNAUTHORIZED, FORBIDDEN, NOT_FOUND),
            **BAD_IF_MATCH,
            **PRECONDITION_FAILED,
        },
    ),
)
class VehicleViewSet(SyncedViewSetMixin, viewsets.ModelViewSet):
    """The signed-in driver's garage; another driver's car is simply not found."""

    sync_kind = "vehicle"
    queryset = Vehicle.objects.all()
    serializer_class = VehicleSerializer
    permission_classes = [IsAuthenticated, IsDriver]
    lookup_value_regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def get_queryset(self) -> VehicleQuerySet:
        user: User = self.request.user  # type: ignore[assignment]
        return Vehicle.objects.visible_to(user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = vehicle_create(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = vehicle_update(vehicle=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance: Vehicle) -> None:
        vehicle_delete(vehicle=instance)


RESET_ANSWER = _("If an account has this address, a link to reset its password is on its way.")


@extend_schema(tags=["auth"])
class PasswordResetView(PublicAPIView):
    """Ask for a password reset link by email. The answer is the same whether or not the address has an
    account. Rate-limited per IP address and per email."""

    throttle_classes = [PasswordResetIPThrottle, PasswordResetEmailThrottle]

    @extend_schema(
        summary="Email me a link to reset my password",
        request=PasswordResetRequestSerializer,
        responses={HTTPStatus.ACCEPTED: AcceptedSerializer, **error_responses(BAD_REQUEST, UNSUPPORTED, TOO_MANY)},
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_request(request=request, **serializer.validated_data)
        return Response({"detail": RESET_ANSWER}, status=HTTPStatus.ACCEPTED)


@extend_schema(tags=["auth"])
class PasswordResetConfirmView(PublicAPIView):
    """Set a new password with the uid and token of a reset link. The link works once, for an hour, and
    every session of the account ends. Rate-limited per IP address."""

    throttle_classes = [PasswordResetIPThrottle]

    @extend_schema(
        summary="Set a new password from a reset link",
        request=PasswordResetConfirmSerializer,
        responses={HTTPStatus.NO_CONTENT: NO_CONTENT, **error_responses(BAD_REQUEST, UNSUPPORTED, TOO_MANY)},
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_confirm(request=request, **serializer.validated_data)
        return Response(status=HTTPStatus.NO_CONTENT)


@extend_schema(tags=["auth"])
class EmailVerifyView(PublicAPIView):
    """Confirm an email address with the token of the link sent to it."""

    throttle_classes = [PasswordResetIPThrottle]

    @extend_schema(
        summary="Confirm my email address",
        request=EmailVerifySerializer,
        responses={HTTPStatus.OK: MeSerializer, **error_responses(BAD_REQUEST, UNSUPPORTED, TOO_MANY)},
    )
    def post(self, request: Request) -> Response:
        serializer = EmailVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = email_verify(request=request, **serializer.validated_data)
        return Response(MeSerializer(user.profile_or_default()).data)


@extend_schema(tags=["me"])
class EmailVerificationResendView(APIView):
    """Send the verification link for your address again (nothing is sent when it is verified already)."""

    throttle_classes = [VerificationResendThrottle]

    @extend_schema(
        summary="Send my email verification link again",
        request=None,
        responses={HTTPStatus.ACCEPTED: AcceptedSerializer, **error_responses(UNAUTHORIZED, TOO_MANY)},
    )
    def post(self, request: Request) -> Response:
        sent = email_verification_resend(user=request.user)
        detail = _("A new link is on its way.") if sent else _("This address is verified already.")
        return Response({"detail": detail}, status=HTTPStatus.ACCEPTED)
