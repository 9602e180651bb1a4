{{/* The image of every Meridio process. */}}
{{- define "meridio.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.registry -}}
{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ $tag }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end -}}

{{/* A component's object name: <component>-<trench>. Call with (dict "root" $ "component" "nsp"). */}}
{{- define "meridio.name" -}}
{{ printf "%s-%s" .component .root.Values.trench.name | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "meridio.selectorLabels" -}}
app.kubernetes.io/name: meridio
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
meridio.nordix.org/trench: {{ .root.Values.trench.name }}
{{- end -}}

{{- define "meridio.labels" -}}
{{ include "meridio.selectorLabels" . }}
app.kubernetes.io/part-of: meridio
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ .root.Chart.Name }}-{{ .root.Chart.Version }}
{{- end -}}

{{/* The ServiceAccount of the components that watch the trench's ConfigMap (LB, proxy, target). */}}
{{- define "meridio.configReader" -}}
{{ printf "meridio-%s" .Values.trench.name }}
{{- end -}}

{{/* The ServiceAccount of the pods that never call the Kubernetes API (NSP, IPAM, NSM). */}}
{{- define "meridio.noApi" -}}
{{ printf "meridio-%s-no-api" .Values.trench.name }}
{{- end -}}

{{/* A network service name, qualified so that trenches in other namespaces never share it. */}}
{{- define "meridio.networkService" -}}
{{ printf "%s.%s.%s" .service .root.Values.trench.name .root.Release.Namespace }}
{{- end -}}

{{/* The host directory holding the NSM socket the components dial. */}}
{{- define "meridio.nsmDir" -}}
{{- if eq .Values.nsm.mode "embedded" -}}
{{ printf "%s/%s.%s" (trimSuffix "/" .Values.nsm.hostDir) .Release.Namespace .Values.trench.name }}
{{- else -}}
{{ dir .Values.nsm.upstreamSocket }}
{{- end -}}
{{- end -}}

{{- define "meridio.nsmSocket" -}}
{{- if eq .Values.nsm.mode "embedded" -}}
{{ include "meridio.nsmDir" . }}/nsm.io.sock
{{- else -}}
{{ .Values.nsm.upstreamSocket }}
{{- end -}}
{{- end -}}

{{- define "meridio.nsmVolume" -}}
- name: nsm-socket
  hostPath:
    path: {{ include "meridio.nsmDir" . }}
    type: DirectoryOrCreate
{{- end -}}

{{- define "meridio.nsmMount" -}}
- name: nsm-socket
  mountPath: {{ include "meridio.nsmDir" . }}
{{- end -}}

{{/* Env shared by the components that use NSM and the runtime configuration. */}}
{{- define "meridio.commonEnv" -}}
- name: NSM_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: NSM_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: NSM_CONNECT_TO
  value: {{ printf "unix://%s" (include "meridio.nsmSocket" .) | quote }}
- name: NSM_CONFIG_MAP_NAME
  value: {{ .Values.trench.configMapName | quote }}
- name: NSM_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- end -}}

{{/*
The sysctls a component needs, by IP family. Call with (dict "root" $ "ipv4" (list …) "ipv6" (list …)
"multipath" true); with "multipath", the family's multipath hash settings (multipathHash) come too.
*/}}
{{- define "meridio.sysctls" -}}
{{- $all := list -}}
{{- if ne .root.Values.ipFamily "ipv6" }}{{ $all = concat $all .ipv4 }}{{ if .multipath }}{{ $all = concat $all (include "meridio.multipathHash" (dict "root" .root "family" "ipv4") | splitList " ") }}{{ end }}{{ end -}}
{{- if ne .root.Values.ipFamily "ipv4" }}{{ $all = concat $all .ipv6 }}{{ if .multipath }}{{ $all = concat $all (include "meridio.multipathHash" (dict "root" .root "family" "ipv6") | splitList " ") }}{{ end }}{{ end -}}
{{ join " " $all }}
{{- end -}}

{{/*
How multipath routes of one family pick a nexthop: the hash policy and, for policy 3 (custom), the
fields it hashes. Call with (dict "root" $ "family" "ipv4"|"ipv6").
*/}}
{{- define "meridio.multipathHash" -}}
{{- $hash := .root.Values.multipathHash -}}
net.{{ .family }}.fib_multipath_hash_policy={{ $hash.policy }}
{{- if eq (int $hash.policy) 3 }} net.{{ .family }}.fib_multipath_hash_fields={{ $hash.fields }}{{ end -}}
{{- end -}}

{{/*
An init container that sets network sysctls of the pod's own network namespace. It is privileged
because /proc/sys is read-only in any other container; the main containers are not.
Call with (dict "root" $ "sysctls" "<name=value> …").
*/}}
{{- define "meridio.sysctlInit" -}}
- name: sysctl-init
  image: {{ include "meridio.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  command: [/bin/sh, -c]
  args:
    - |
      set -eu
      for setting in {{ .sysctls }}; do
        name="${setting%%=*}"
        echo "${setting#*=}" > "/proc/sys/$(echo "$name" | tr . /)"
        echo "$name = $(cat "/proc/sys/$(echo "$name" | tr . /)")"
      done
  securityContext:
    privileged: true
  resources:
    requests: { cpu: 10m, memory: 16Mi }
    limits: { memory: 32Mi }
{{- end -}}

{{/* The container security context of a component that changes its network namespace. */}}
{{- define "meridio.netAdminSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
# Root in the pod's own namespaces: capabilities are not effective for a non-root user without
# ambient capabilities, which Kubernetes cannot grant.
runAsUser: 0
capabilities:
  drop: [ALL]
  add: {{ toJson .add }}
{{- end -}}

{{- define "meridio.restrictedSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: [ALL]
{{- end -}}
