{{/* The image of every Meridio process. */}}
{{- define "meridio-operator.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.registry -}}
{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ $tag }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{- define "meridio-operator.name" -}}
{{ .Release.Name | trunc 50 | trimSuffix "-" }}
{{- end -}}

{{- define "meridio-operator.selectorLabels" -}}
app.kubernetes.io/name: meridio-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "meridio-operator.labels" -}}
{{ include "meridio-operator.selectorLabels" . }}
app.kubernetes.io/part-of: meridio
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "meridio-operator.webhookSecret" -}}
{{ .Values.webhook.certificate.secretName | default (printf "%s-webhook-cert" (include "meridio-operator.name" .)) }}
{{- end -}}
